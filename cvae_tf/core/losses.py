"""Per-image loss terms of the (C-)VAE. Each returns one value per image, shape (batch,)."""

from keras import ops


def per_image_sum(values):
    """``values`` (batch, ...) summed over everything but the batch axis: one number per image."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def mse_sum(images, reconstructions):
    """Squared error summed over all pixels of an image (not the mean: the original's choice)."""
    squared = ops.square(ops.cast(images, reconstructions.dtype) - reconstructions)
    return per_image_sum(squared)


def bce_sum(images, reconstructions):
    """Binary cross-entropy summed over all pixels of an image: the Bernoulli likelihood of a
    [0, 1] image. Against ``mse_sum`` it weighs a wrong stroke pixel far more (−log of a near-0
    output), so the decoder keeps more of the image's detail for the same KL term."""
    targets = ops.cast(images, reconstructions.dtype)
    entropy = ops.binary_crossentropy(targets, reconstructions)
    return per_image_sum(entropy)


RECONSTRUCTION_LOSSES = {"mse": mse_sum, "bce": bce_sum}


def kl_divergence(z_mean, z_log_var):
    """KL divergence of N(z_mean, exp(z_log_var)) from N(0, I), summed over latent dimensions."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


def grey_loss(reconstructions, images=None):
    """Σ y·(1 − y) over the pixels: zero for pure black or white, largest for mid grey (sharpness).

    ``images`` (the targets) is unused; it is there so that every sharpness term has one signature.
    """
    grey = reconstructions * (1.0 - reconstructions)
    return per_image_sum(grey)


def frequency_loss(reconstructions, images):
    """Σ |‖F y‖ − ‖F x‖| over the 2-D spectra of each channel (orthonormal FFT), per image.

    A blurred reconstruction keeps the low frequencies of its target and loses the high ones;
    comparing spectrum magnitudes (not phases) asks for the target's amount of fine detail
    without asking for it at exactly the same place, which a pixel loss averages away.
    """
    import tensorflow as tf

    def magnitude(batch):
        channels_first = tf.transpose(tf.cast(batch, tf.float32), [0, 3, 1, 2])
        size = tf.cast(tf.shape(channels_first)[2] * tf.shape(channels_first)[3], tf.float32)
        return tf.abs(tf.signal.fft2d(tf.cast(channels_first, tf.complex64))) / tf.sqrt(size)

    difference = ops.abs(magnitude(reconstructions) - magnitude(images))
    return per_image_sum(difference)
