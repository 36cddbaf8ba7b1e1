"""Helpers shared by the test modules: synthetic data, tiny configs, PNG bytes, a Ctrl-C callback."""

import io

import keras
import numpy as np
from PIL import Image


class Interrupt(keras.callbacks.Callback):
    """Stops training like Ctrl-C at the end of batch ``batch`` of epoch ``epoch`` (both from 0)."""

    def __init__(self, epoch, batch=3):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def png_bytes(picture) -> bytes:
    """A uint8 array (or a PIL image) as PNG file bytes, as an upload sends them."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_pixels(content: bytes) -> np.ndarray:
    """The pixels of PNG file bytes."""
    return np.asarray(Image.open(io.BytesIO(content)))
