"""The vanilla VAE: the same convolutional encoder and decoder, no condition.

Trained on MNIST it is the baseline for the latent-space tools; on an image folder it takes
that folder's image size and channels.
"""

from cvae_tf.models import conv_vae

CONDITIONAL = False


def build_models(config, image_shape=(28, 28, 1)) -> dict:
    """``vae_encoder_model``, ``vae_decoder_model`` and ``vae_model``."""
    return conv_vae.build_models(config, image_shape, condition_size=None, prefix="vae")
