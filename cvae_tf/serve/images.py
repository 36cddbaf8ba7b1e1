"""Pixels in and out of the server: PNG grids of generated digits, uploads read as MNIST digits."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cvae_tf.serve.registry import IMAGE_SHAPE, RequestError

MAX_UPLOAD_SIDE = 4096


def png_grid(images: np.ndarray, columns: int = 16, scale: int = 1) -> bytes:
    """A PNG of ``images`` (N, H, W) in [0, 1] in rows of ``columns``, each pixel ``scale``×``scale``."""
    n, height, width = images.shape
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    padded = np.zeros((rows * columns, height, width), np.float32)
    padded[:n] = images
    grid = padded.reshape(rows, columns, height, width).transpose(0, 2, 1, 3).reshape(rows * height, columns * width)
    picture = Image.fromarray(np.round(np.clip(grid, 0, 1) * 255).astype(np.uint8))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def read_digit(data: bytes, filename: str = "upload") -> np.ndarray:
    """An uploaded picture as an MNIST-like digit (28, 28) in [0, 1]: white strokes on black.

    Any format Pillow reads; transparency counts as white paper; a picture that is mostly
    light (dark ink on paper) is inverted; the whole picture is scaled into 28×28, centred,
    padded with black.
    """
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
        grey = picture.convert("L")
    except (OSError, ValueError) as err:
        raise RequestError(f"{filename!r} could not be decoded as an image: {err}", status=415) from None
    if np.asarray(grey).mean() > 127:
        grey = ImageOps.invert(grey)
    grey = ImageOps.pad(grey, IMAGE_SHAPE[::-1], method=Image.Resampling.LANCZOS, color=0)
    return np.asarray(grey, np.float32) / 255.0
