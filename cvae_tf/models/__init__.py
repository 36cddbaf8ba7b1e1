"""Model families. Each family module offers ``build_models(config) -> {"encoder", "decoder", "full"}``."""

from cvae_tf.models import mnist_cvae
from cvae_tf.models.layers import Sampling

FAMILIES = {"mnist_cvae": mnist_cvae.build_models}


def build_models(config) -> dict:
    if config.family not in FAMILIES:
        raise ValueError(f"model.family = {config.family!r}; expected one of {sorted(FAMILIES)}")
    return FAMILIES[config.family](config)


__all__ = ["FAMILIES", "Sampling", "build_models"]
