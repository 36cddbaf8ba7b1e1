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


# Pointer events as a mouse makes them on the explorer page's #sketch canvas: down, a zig-zag of moves, up.
DRAW_STROKES = """
const canvas = document.getElementById("sketch");
const box = canvas.getBoundingClientRect();
const send = (type, x, y) => canvas.dispatchEvent(new PointerEvent(type, {
  clientX: box.left + x * box.width, clientY: box.top + y * box.height, bubbles: true, pointerType: "mouse"}));
send("pointerdown", 0.2, 0.2);
for (let i = 1; i <= 20; i++) send("pointermove", 0.2 + 0.03 * i, 0.2 + (i % 2 ? 0.3 : 0.0) + 0.02 * i);
send("pointerup", 0.8, 0.6);
"""


def draws(driver) -> int:
    """How many pictures the explorer page has drawn (its body's ``data-draws``)."""
    from selenium.webdriver.common.by import By

    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-draws"))
