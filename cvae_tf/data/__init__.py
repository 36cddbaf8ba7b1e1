"""Loaders that turn a data source into validated arrays, and the tf.data pipeline."""

from cvae_tf.data.folders import ImageFolderData, load_image_folder
from cvae_tf.data.mnist import (
    MnistData,
    load_mnist,
    load_mnist_csv,
    load_mnist_idx,
    load_mnist_keras,
    load_mnist_sample,
)
from cvae_tf.data.pipeline import make_dataset
from cvae_tf.data.sources import load_data, register_format


def held_out(data):
    """A data set's test split, or its validation split when it has no test images."""
    return data.test if data.test is not None and len(data.test) else data.val


__all__ = [
    "ImageFolderData",
    "held_out",
    "load_data",
    "load_image_folder",
    "MnistData",
    "load_mnist",
    "load_mnist_csv",
    "load_mnist_idx",
    "load_mnist_keras",
    "load_mnist_sample",
    "make_dataset",
    "register_format",
]
