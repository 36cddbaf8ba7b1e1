"""pix2pix data: A|B pair images (two pictures side by side in one file) and their tf.data pipeline.

A pair file is W = 2·H wide: one half is the input (a sketch or edge map), the other the target
picture. pix2pix's facades have the photo on the LEFT and the label map on the RIGHT, so the
default ``input_side="right"``; ``write_pairs`` writes the same layout.

Sketch convention: DARK strokes on WHITE paper. The generator's ``sketch`` input is (H, W, 1) in
[0, 1] with the paper at 1 and strokes near 0, as a pencil drawing scanned or drawn in a
browser. Edge detectors give the opposite (white edges on black); ``to_sketch_convention``
detects a mostly-dark drawing and inverts it, ``edges_to_sketch`` renders boolean edges this way.
Targets are RGB in [−1, 1].
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cvae_tf.core.errors import DataError
from cvae_tf.families.pix2pix.edges import cached_edge_map, sketchify

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SIDES = ("left", "right")
JITTER = 286 / 256  # pix2pix: resize 256 → 286, then random-crop 256


def split_pair(image, input_side="right", name="image"):
    """Split an A|B array (H, 2·H[, C]) into (input half, target half); ``name`` is used in errors."""
    if input_side not in SIDES:
        raise ValueError(f"input_side must be one of {SIDES}, not {input_side!r}")
    image = np.asarray(image)
    height, width = image.shape[:2]
    if width % 2:
        raise DataError(f"{name}: the two halves differ in size ({width} px wide is odd, expected 2 × {height})")
    if width != 2 * height:
        raise DataError(f"{name}: {width}x{height} px; a pair is two square halves side by side, width = 2 × height")
    left, right = image[:, : width // 2], image[:, width // 2 :]
    return (right, left) if input_side == "right" else (left, right)


def read_pair(path, input_side="right"):
    """Read one pair file as uint8 (input (H, W, 3), target (H, W, 3)); DataError names a bad file."""
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"{path}: not an image that can be read ({error})") from error
    return split_pair(array, input_side, name=str(path))


def list_pairs(folder):
    """Pair files in ``folder`` (sorted, hidden files skipped); DataError when there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder of pair images")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataError(f"{folder}: no pair images in it")
    return files


def load_pairs(folder, input_side="right"):
    """All pairs of a folder as uint8 arrays (inputs (N, H, W, 3), targets (N, H, W, 3)).

    Every file must be a readable image with two same-size square halves; the first that is
    not raises a DataError naming it. All pairs must share one size (stackable).
    """
    inputs, targets = [], []
    for path in list_pairs(folder):
        source, target = read_pair(path, input_side)
        if inputs and source.shape != inputs[0].shape:
            raise DataError(f"{path}: {source.shape[1]}x{source.shape[0]} halves, the others are {inputs[0].shape[:2]}")
        inputs.append(source)
        targets.append(target)
    return np.stack(inputs), np.stack(targets)


def to_sketch_convention(gray):
    """Return ``gray`` as dark strokes on white: invert it when its background (the median) is dark.

    Works on uint8 (0–255) or float (0–1) arrays and keeps the dtype. The median is the
    background because strokes cover a small share of a drawing.
    """
    gray = np.asarray(gray)
    top = 255 if np.issubdtype(gray.dtype, np.integer) else 1.0
    if np.median(gray) < top / 2:
        return (top - gray).astype(gray.dtype)
    return gray


def edges_to_sketch(edges):
    """Boolean edge map (True on edges) → uint8 sketch: 0 on strokes, 255 on the paper."""
    return np.where(np.asarray(edges, bool), 0, 255).astype(np.uint8)


def write_pairs(photo_folder, output_folder, edges="hed", size=256, cache_dir=None):
    """Make A|B pair files from a folder of photos: photo LEFT, its edge sketch RIGHT (``input_side="right"``).

    Each photo is centre-cropped to a square and resized to ``size``; its edges ("hed" or
    "canny", see ``cvae_tf.families.pix2pix.edges``) are drawn dark on white. Unreadable files raise a DataError.
    Returns the written paths.
    """
    os.makedirs(output_folder, exist_ok=True)
    written = []
    for path in sorted(Path(photo_folder).iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        photo = _square_photo(path, size)
        sketch = edges_to_sketch(cached_edge_map(path, photo, edges, cache_dir))
        pair = np.concatenate([photo, np.repeat(sketch[..., None], 3, axis=-1)], axis=1)
        target = Path(output_folder) / f"{path.stem}.png"
        Image.fromarray(pair).save(target)
        written.append(target)
    return written


def _square_photo(path, size):
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"{path}: not an image that can be read ({error})") from error
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return np.asarray(image.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC))


def pair_dataset(inputs, targets, batch_size=1, size=None, training=True, seed=None, alternates=None, swap_rate=0.0):
    """tf.data batches {"sketch": (B, H, W, 1) in [0, 1], "image": (B, H, W, 3) in [−1, 1]}.

    ``inputs``/``targets`` are uint8 from ``load_pairs``. The input becomes greyscale in the
    sketch convention. With ``training`` each pair gets pix2pix's jitter, the same for both halves:
    resize up by 286/256, random crop back to ``size`` (default: the pairs' size), random mirror;
    and the data are shuffled. Without it pairs are only resized to ``size``.

    ``alternates`` (uint8 (N, V, H, W) sketches, e.g. ``sketch_variants``) are other drawings of the
    same pictures: in training each pair's input is replaced, with probability ``swap_rate``, by one
    of its V alternates picked at random (the sketch-like augmentation).
    """
    import tensorflow as tf

    sketches = np.stack([to_sketch_convention(_grey(x)) for x in np.asarray(inputs)])[..., None]
    size = int(size or sketches.shape[1])
    swapping = training and alternates is not None and swap_rate > 0
    if swapping:
        alternates = np.asarray(alternates, np.uint8)[..., None]
        if alternates.shape[0] != len(sketches) or alternates.shape[2:] != sketches.shape[1:]:
            raise ValueError(f"alternates {alternates.shape} do not match the inputs {sketches.shape}")
        dataset = tf.data.Dataset.from_tensor_slices((sketches, alternates, np.asarray(targets)))
    else:
        dataset = tf.data.Dataset.from_tensor_slices((sketches, np.asarray(targets)))
    if training:
        dataset = dataset.shuffle(len(sketches), seed=seed, reshuffle_each_iteration=True)
    # Each pair's draws come from its own seed, one per pair and epoch from a seeded stream: the same
    # pictures for the same seed however the map runs in parallel, and on every worker of a cluster.
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip(dataset, draws)
    if swapping:
        dataset = dataset.map(lambda pair, draw: ((_swap(pair[0], pair[1], swap_rate, draw), pair[2]), draw))
    dataset = dataset.map(lambda pair, draw: _prepare(*pair, size, training, draw), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _seed(draw, use: int):
    """The stateless seed of one random choice (``use``) of a pair whose draw is ``draw``."""
    import tensorflow as tf

    return tf.stack([draw, tf.constant(use, tf.int64)])


def _swap(sketch, alternates, rate, draw):
    """The sketch, or with probability ``rate`` one of its alternates (each equally likely)."""
    import tensorflow as tf

    pick = tf.random.stateless_uniform((), _seed(draw, 0), 0, tf.shape(alternates)[0], dtype=tf.int32)
    return tf.cond(tf.random.stateless_uniform((), _seed(draw, 1)) < rate, lambda: alternates[pick], lambda: sketch)


def sketch_variants(sketches, count=2, seed=0):
    """``count`` hand-drawn-looking versions of each sketch (uint8 (N, H, W[, C]) → (N, count, H, W)).

    Each is ``cvae_tf.families.pix2pix.edges.sketchify`` of the strokes (pixels darker than mid-grey), seeded by
    ``seed``, the sketch's index and the version, so the same call gives the same drawings.
    """
    sketches = [to_sketch_convention(_grey(x)) for x in np.asarray(sketches)]
    return np.stack(
        [
            [edges_to_sketch(sketchify(sketch < 128, rng=(seed, index, version))) for version in range(count)]
            for index, sketch in enumerate(sketches)
        ]
    )


def _grey(image):
    image = np.asarray(image)
    if image.ndim == 2:
        return image
    return np.asarray(Image.fromarray(image[..., :3].astype(np.uint8)).convert("L"))


def _prepare(sketch, target, size, training, draw):
    """Scale to floats, apply the shared jitter, split back into the model's two inputs."""
    import tensorflow as tf

    both = tf.concat([tf.cast(sketch, tf.float32) / 255.0, tf.cast(target, tf.float32) / 127.5 - 1.0], axis=-1)
    if training:
        grown = int(round(size * JITTER))
        both = tf.image.resize(both, (grown, grown), method="bilinear")
        both = tf.image.stateless_random_crop(both, (size, size, 4), seed=_seed(draw, 2))
        both = tf.image.stateless_random_flip_left_right(both, seed=_seed(draw, 3))
    else:
        both = tf.image.resize(both, (size, size), method="bilinear")
    return {"sketch": both[..., :1], "image": tf.clip_by_value(both[..., 1:], -1.0, 1.0)}
