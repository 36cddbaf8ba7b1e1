"""Pixels in and out of the server: PNG grids of generated images, uploads read as a model's input."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cvae_tf.core.inference import to_uint8
from cvae_tf.serve.registry import RequestError

MAX_UPLOAD_SIDE = 4096


def png_grid(images: np.ndarray, columns: int = 16, scale: int = 1) -> bytes:
    """A PNG of ``images`` (N, H, W) greyscale or (N, H, W, 3) colour in [0, 1], in rows of ``columns``."""
    images = np.asarray(images, np.float32)
    n, height, width = images.shape[:3]
    channels = images.shape[3:]
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    padded = np.zeros((rows * columns, height, width, *channels), np.float32)
    padded[:n] = images
    grid = padded.reshape(rows, columns, height, width, *channels).swapaxes(1, 2)
    grid = grid.reshape(rows * height, columns * width, *channels)
    picture = Image.fromarray(to_uint8(grid))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def open_upload(data: bytes, filename: str = "upload") -> Image.Image:
    """An uploaded picture, transparency composited onto white paper; a 413 / 415 naming the file otherwise."""
    try:
        picture = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise RequestError(
            f"{filename!r} is not an image Pillow can read (PNG, JPEG, GIF, BMP, …)", status=415
        ) from None
    except Image.DecompressionBombError as err:
        raise RequestError(f"{filename!r}: {err}", status=413) from None
    if max(picture.size) > MAX_UPLOAD_SIDE:
        raise RequestError(
            f"{filename!r} is {picture.width}×{picture.height} pixels; at most {MAX_UPLOAD_SIDE} a side", status=413
        )
    try:
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture.convert("RGBA"))
        picture.load()
        return picture.convert("RGB")
    except (OSError, ValueError) as err:
        raise RequestError(f"{filename!r} could not be decoded as an image: {err}", status=415) from None


def read_image(data: bytes, filename: str, shape, background: str | None = None) -> np.ndarray:
    """An upload as a model input of ``shape`` (H, W, C) in [0, 1]: (H, W) for one channel, else (H, W, 3).

    ``background`` is the convention of the model's greyscale inputs: "black" (MNIST: white
    strokes on black; dark ink on paper is inverted) or "white" (sketches: dark strokes on
    white; a light-on-dark drawing is inverted). Greyscale pictures are scaled whole into the
    frame and padded with the background; colour pictures are centre-cropped and resized.
    """
    height, width, channels = shape
    picture = open_upload(data, filename)
    if channels == 3:
        fitted = ImageOps.fit(picture, (width, height), method=Image.Resampling.LANCZOS)
        return np.asarray(fitted, np.float32) / 255.0
    grey = picture.convert("L")
    light = np.asarray(grey).mean() > 127
    if background is not None and light != (background == "white"):
        grey = ImageOps.invert(grey)
    fill = 255 if background == "white" else 0
    grey = ImageOps.pad(grey, (width, height), method=Image.Resampling.LANCZOS, color=fill)
    return np.asarray(grey, np.float32) / 255.0
