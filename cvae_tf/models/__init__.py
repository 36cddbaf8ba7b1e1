"""Model families. Each family module offers ``build_models(config, image_shape)`` returning
``{"encoder", "decoder", "full"}`` and says with ``CONDITIONAL`` whether it takes a condition."""

from cvae_tf.models import mnist_cvae, mnist_vae
from cvae_tf.models.layers import Sampling

FAMILIES = {"mnist_cvae": mnist_cvae, "mnist_vae": mnist_vae}


def family(name: str):
    if name not in FAMILIES:
        raise ValueError(f"model.family = {name!r}; expected one of {sorted(FAMILIES)}")
    return FAMILIES[name]


def build_models(config, image_shape=(28, 28, 1)) -> dict:
    return family(config.family).build_models(config, image_shape)


__all__ = ["FAMILIES", "Sampling", "build_models", "family"]
