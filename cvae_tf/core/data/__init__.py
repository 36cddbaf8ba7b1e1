"""Generic data: the registry of data formats, image folders, the generic split and the tf.data pipeline."""

from cvae_tf.core.data.folders import ImageFolderData, load_image_folder
from cvae_tf.core.data.pipeline import make_dataset
from cvae_tf.core.data.sources import FORMATS, load_data, register_format
from cvae_tf.core.data.split import Split


def held_out(data):
    """A data set's test split, or its validation split when it has no test images."""
    return data.test if data.test is not None and len(data.test) else data.val


__all__ = [
    "FORMATS",
    "ImageFolderData",
    "Split",
    "held_out",
    "load_data",
    "load_image_folder",
    "make_dataset",
    "register_format",
]
