"""The MNIST C-VAE: the convolutional VAE conditioned on (one-hot digit, white ratio)."""

from cvae_tf.conditions import CONDITION_SIZE
from cvae_tf.models import conv_vae

CONDITIONAL = True


def build_models(config, image_shape=(28, 28, 1)) -> dict:
    """``cvae_encoder_model``, ``cvae_decoder_model`` and ``cvae_model``."""
    return conv_vae.build_models(config, image_shape, condition_size=CONDITION_SIZE, prefix="cvae")
