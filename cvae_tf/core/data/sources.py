"""Data formats by name: ``data.format`` in a config picks the loader that reads ``data.source``.

A loader takes the data section and the run's seed and returns an object with ``train``,
``val`` and (possibly empty) ``test`` splits and a ``source``. A family that reads a new kind
of data (digits, face attributes, image pairs) registers its format here; a folder of
image files (``images``) is built in.
"""

from __future__ import annotations

from typing import Callable

from cvae_tf.core.data.folders import load_image_folder

FORMATS: dict[str, Callable] = {}


def register_format(name: str):
    """Decorator: ``@register_format("pairs")`` over ``loader(data_config, seed)``."""

    def register(loader: Callable) -> Callable:
        FORMATS[name] = loader
        return loader

    return register


def load_data(data_config, seed: int = 0):
    """The splits that ``data_config`` names."""
    if data_config.format not in FORMATS:
        raise ValueError(f"data.format = {data_config.format!r}; expected one of {sorted(FORMATS)}")
    return FORMATS[data_config.format](data_config, seed)


@register_format("images")
def _image_folder(data, seed):
    return load_image_folder(
        data.source,
        image_size=tuple(data.image_size),
        channels=data.channels,
        fractions=(1.0 - data.val_fraction - data.test_fraction, data.val_fraction, data.test_fraction),
        seed=seed,
        crop=data.crop,
    )
