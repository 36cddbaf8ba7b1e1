"""A user's own images: a folder of class subfolders, a flat folder, or train/ val/ test/ folders.

Every image is read with Pillow, converted to greyscale (channels=1) or RGB (channels=3) and
resized, then split into train / validation / test by the given fractions (seeded, stratified
by class) or taken from the ``train/``, ``val/``, ``test/`` subfolders when they exist. The
result has the shape of ``load_mnist``'s: ``Split``s of uint8 images and int64 labels, plus the
class names. A file that cannot be used (unreadable, empty, not an image, or of a different
size where sizes must match) is an error naming it; all such files are listed at once, none is
skipped silently. Hidden files (``.DS_Store``, ``.ipynb_checkpoints``) are ignored.

Layouts::

    folder/cat/*.png, folder/dog/*.jpg        one class per subfolder (labels by sorted name)
    folder/*.jpg                              flat: one class, named after the folder
    folder/train/…, folder/val/…, folder/test/…   splits as given (each flat or by class);
                                              without val/ a validation split is held out of train/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from cvae_tf.core.data.split import Split
from cvae_tf.core.errors import DataError

SPLIT_FOLDERS = ("train", "val", "test")
MAX_LISTED = 20


@dataclass(frozen=True)
class ImageFolderData:
    """Like ``MnistData``; images are (N, H, W) for greyscale, (N, H, W, 3) for colour."""

    train: Split
    val: Split
    test: Split
    source: str
    class_names: list[str]


def load_image_folder(
    path: str | os.PathLike,
    image_size: tuple[int, int] | None = (28, 28),
    channels: int = 1,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    crop: bool = False,
) -> ImageFolderData:
    """Read every image under ``path`` as uint8 (H, W[, 3]) and split it.

    ``image_size`` is (height, width); ``None`` keeps the images' own size, which must then be
    the same for all of them. ``crop=True`` cuts the centre to the target's aspect ratio before
    resizing (faces) instead of stretching. ``fractions`` (train, val, test) must sum to 1; they
    are ignored for a folder that has its own ``train/`` (``val`` then still holds out of train
    when there is no ``val/``).
    """
    path = Path(path)
    _check_arguments(path, image_size, channels, fractions)
    reader = _Reader(image_size, channels, crop)
    subfolders = {entry.name for entry in _entries(path) if entry.is_dir()}
    if "train" in subfolders:
        names = _class_names([path / name for name in SPLIT_FOLDERS if name in subfolders], path.resolve().name)
        parts = {name: _collect(path / name, names) for name in SPLIT_FOLDERS if name in subfolders}
        loaded = {name: reader.read(files, labels) for name, (files, labels) in parts.items()}
        reader.raise_problems(path)
        train = Split(*loaded["train"])
        val = Split(*loaded["val"]) if "val" in loaded else None
        if val is None:
            val_share = fractions[1] / (fractions[0] + fractions[1])
            train, val, _ = _split(train, (1 - val_share, val_share, 0.0), seed)
        test = Split(*loaded["test"]) if "test" in loaded else _empty(train)
    else:
        names = _class_names([path], path.resolve().name)
        files, labels = _collect(path, names)
        images, labels = reader.read(files, labels)
        reader.raise_problems(path)
        train, val, test = _split(Split(images, labels), fractions, seed)
    return ImageFolderData(train=train, val=val, test=test, source=str(path), class_names=names)


def _check_arguments(path: Path, image_size, channels: int, fractions) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such folder; expected a folder of images (class subfolders or flat)")
    if not path.is_dir():
        raise DataError(f"{path}: is a file; expected a folder of images (class subfolders or flat)")
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r}; expected 1 (greyscale) or 3 (RGB colour)")
    if image_size is not None and (
        len(image_size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in image_size)
    ):
        raise ValueError(f"image_size={image_size!r}; expected (height, width), two positive whole numbers, or None")
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or np.any(fractions < 0) or fractions[0] <= 0 or not np.isclose(fractions.sum(), 1):
        raise ValueError(
            f"fractions={tuple(fractions.tolist())}; expected (train, val, test), each at least 0, "
            "train above 0, summing to 1"
        )


def _entries(folder: Path) -> list[Path]:
    return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))


def _class_names(roots: list[Path], flat_name: str) -> list[str]:
    """Class subfolder names across ``roots`` (sorted), or ``[flat_name]`` for a flat layout."""
    names = sorted({entry.name for root in roots for entry in _entries(root) if entry.is_dir()})
    return names or [flat_name]


def _collect(root: Path, class_names: list[str]) -> tuple[list[Path], list[int]]:
    """Files under ``root`` with their labels: one level of class folders, or flat."""
    entries = _entries(root)
    has_classes = any(entry.is_dir() for entry in entries)
    if not has_classes:
        return entries, [0] * len(entries)
    files, labels = [], []
    for entry in entries:
        if entry.is_dir():
            inside = _entries(entry)
            files += inside
            labels += [class_names.index(entry.name)] * len(inside)
        else:  # a loose file beside class folders has no class: reported as a problem
            files.append(entry)
            labels.append(-1)
    return files, labels


class _Reader:
    """Reads files to arrays, collecting every problem so that one error can list them all."""

    def __init__(self, image_size, channels: int, crop: bool):
        self.image_size, self.channels, self.crop = image_size, channels, crop
        self.problems: list[str] = []
        self.total = 0
        self.first_size = None

    def read(self, files: list[Path], labels: list[int]) -> tuple[np.ndarray, np.ndarray]:
        images, kept = [], []
        for file, label in zip(files, labels):
            self.total += 1
            array = self._read_one(file, label)
            if array is not None:
                images.append(array)
                kept.append(label)
        shape = (0, *(self.image_size or (0, 0))) + ((3,) if self.channels == 3 else ())
        stacked = np.stack(images) if images and not self.problems else np.zeros(shape, np.uint8)
        return stacked, np.asarray(kept, dtype=np.int64)

    def _read_one(self, file: Path, label: int):
        if file.is_dir():
            return self._problem(file, "a folder inside a class folder; expected image files only")
        if label < 0:
            return self._problem(file, "a file beside the class folders; move it into one of them")
        if file.stat().st_size == 0:
            return self._problem(file, "empty file (0 bytes)")
        try:
            with Image.open(file) as image:
                image.load()
                image = image.convert("L" if self.channels == 1 else "RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
            return self._problem(file, f"not a readable image ({type(err).__name__}: {err})")
        if min(image.size) == 0:
            return self._problem(file, f"zero-sized image ({image.width}×{image.height})")
        if self.image_size is None:
            self.first_size = self.first_size or (image.size, file)
            if image.size != self.first_size[0]:
                (width, height), first = self.first_size
                return self._problem(
                    file,
                    f"{image.width}×{image.height} pixels; expected {width}×{height} like {first.name} "
                    "(pass image_size to resize)",
                )
        else:
            height, width = self.image_size
            if self.crop:
                image = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
            elif image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.LANCZOS)
        return np.asarray(image, dtype=np.uint8)

    def _problem(self, file: Path, reason: str) -> None:
        self.problems.append(f"{file}: {reason}")

    def raise_problems(self, root: Path) -> None:
        if self.total == 0:
            raise DataError(f"{root}: no image files found; expected images in class subfolders or directly in it")
        if self.problems:
            listed = self.problems[:MAX_LISTED]
            more = len(self.problems) - len(listed)
            raise DataError(
                f"{root}: {len(self.problems)} of {self.total} files cannot be used as images:\n  "
                + "\n  ".join(listed)
                + (f"\n  … and {more} more" if more else "")
                + "\nFix or remove them and load again."
            )


def _split(data: Split, fractions, seed: int) -> tuple[Split, Split, Split]:
    """Seeded split by ``fractions``, stratified: each class is divided in the same proportions."""
    rng = np.random.default_rng(seed)
    parts = [[], [], []]
    for label in np.unique(data.labels):
        members = rng.permutation(np.flatnonzero(data.labels == label))
        n_val, n_test = (int(round(len(members) * f)) for f in fractions[1:])
        n_train = max(len(members) - n_val - n_test, 1)
        n_val = min(n_val, len(members) - n_train)
        cuts = np.split(members, [n_train, n_train + n_val])
        for part, indices in zip(parts, cuts):
            part.append(indices)
    splits = []
    for part in parts:
        indices = rng.permutation(np.concatenate(part)) if part else np.array([], dtype=np.int64)
        splits.append(Split(data.images[indices], data.labels[indices]))
    return tuple(splits)


def _empty(like: Split) -> Split:
    return Split(like.images[:0], like.labels[:0])
