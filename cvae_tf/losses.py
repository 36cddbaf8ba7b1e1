"""Per-image loss terms of the (C-)VAE. Each returns one value per image, shape (batch,)."""

from keras import ops


def mse_sum(images, reconstructions):
    """Squared error summed over all pixels of an image (not the mean: the original's choice)."""
    squared = ops.square(ops.cast(images, reconstructions.dtype) - reconstructions)
    return ops.sum(ops.reshape(squared, (ops.shape(squared)[0], -1)), axis=1)


def kl_divergence(z_mean, z_log_var):
    """KL divergence of N(z_mean, exp(z_log_var)) from N(0, I), summed over latent dimensions."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


def grey_loss(reconstructions, images=None):
    """Σ y·(1 − y) over the pixels: zero for pure black or white, largest for mid grey (sharpness).

    ``images`` (the targets) is unused; it is there so that every sharpness term has one signature.
    """
    grey = reconstructions * (1.0 - reconstructions)
    return ops.sum(ops.reshape(grey, (ops.shape(grey)[0], -1)), axis=1)
