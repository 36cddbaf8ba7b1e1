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

__all__ = [
    "ImageFolderData",
    "load_image_folder",
    "MnistData",
    "load_mnist",
    "load_mnist_csv",
    "load_mnist_idx",
    "load_mnist_keras",
    "load_mnist_sample",
    "make_dataset",
]
