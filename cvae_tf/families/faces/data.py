"""Faces for the face C-VAE: CelebA as users download it, or the original's own labelled folders.

Both loaders return a ``FaceData`` of ``FaceSplit``s: uint8 images (N, H, W, 3), the file names,
an ``attributes`` table and the four condition ``targets`` (``male``, ``hair``, ``mouth``, ``eyes``;
values in [0, 1], NaN where a face is unlabelled for that target; see ``condition_targets``).

Every image is cropped, resized and decoded once: the arrays are cached as an ``.npz`` keyed by
the file list (names, sizes, modification times), the size and the crop, so later loads skip the
JPEG decoding; so are the faces' landmarks (``read_landmarks``). Problems are
``DataError``s naming the file, the line and the value; every unreadable or missing image is
listed at once, none is skipped silently.

CelebA layout (``load_celeba``)::

    folder/img_align_celeba/000001.jpg …   the aligned faces, 178×218 (or folder/images/, any
                                           resolution of the same layout, e.g. 89×109)
    folder/list_attr_celeba.txt            line 1 the count, line 2 the 40 attribute names,
                                           then "000001.jpg  -1  1 …" (values 1 / -1)
    folder/list_eval_partition.txt         optional: "000001.jpg 0" (0 train, 1 val, 2 test);
                                           without it the split is seeded and random

The original's layout (``load_face_folders``)::

    root/Male/*.jpg, root/Female/*.jpg     faces sorted by sex (folder names in any case)
    root/unlabelled/*.jpg                  optional: faces of unknown sex and attributes, whose
                                           conditions the condition models will predict
    root/hair_male.csv, root/hair_female.csv, root/mouth_male.csv, root/mouth_female.csv,
    root/eyes_male.csv, root/eyes_female.csv
                                           optional label files, one per target and sex: header
                                           "file,value", then a file name inside that sex's
                                           folder and a value in [0, 1] (the original used
                                           0 / 0.5 / 1); a face missing from a file is
                                           unlabelled for that target (NaN)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf
from PIL import Image

from cvae_tf.core.errors import DataError
from cvae_tf.families.faces.landmarks import eye_openness, face_landmarks

ATTRIBUTE_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
IMAGE_FOLDERS = ("img_align_celeba", "images")
NUM_ATTRIBUTES = 40
# The face region of an aligned CelebA image as fractions (left, top, right, bottom): the 148×148
# square at (15, 35) of 178×218, which keeps the whole face with its hair and little background.
CELEBA_CROP = (15 / 178, 35 / 218, 163 / 178, 183 / 218)
TARGETS = ("male", "hair", "mouth", "eyes")
EYE_SOURCES = ("landmarks", "narrow_eyes")
SEXES = ("male", "female")
LABEL_TARGETS = ("hair", "mouth", "eyes")
UNLABELLED_FOLDERS = ("unlabelled", "unlabeled")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
CACHE_VERSION = 1
MAX_LISTED = 20


@dataclass(frozen=True)
class FaceSplit:
    """Faces of one split; ``attributes`` and ``targets`` are indexed by the file names."""

    images: np.ndarray  # (N, H, W, 3) uint8
    names: np.ndarray  # (N,) str, relative to the data folder's image folder(s)
    attributes: pd.DataFrame  # CelebA: the 40 attributes as 0/1; folders: the targets
    targets: pd.DataFrame  # float32 columns male, hair, mouth, eyes in [0, 1]; NaN = unlabelled

    def __len__(self) -> int:
        return len(self.names)

    def take(self, indices) -> FaceSplit:
        """The faces at ``indices``, with their names, attributes and targets."""
        return FaceSplit(
            self.images[indices], self.names[indices], self.attributes.iloc[indices], self.targets.iloc[indices]
        )


@dataclass(frozen=True)
class FaceData:
    train: FaceSplit
    val: FaceSplit
    test: FaceSplit
    source: str
    image_size: tuple[int, int]
    unlabelled: FaceSplit | None = None  # folder layout only: faces whose conditions are predicted


# ----------------------------------------------------------------------------------------- CelebA


def load_celeba(
    folder: str | os.PathLike,
    image_size: tuple[int, int] = (64, 64),
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    cache: bool | str | os.PathLike = True,
    crop: tuple[float, float, float, float] = CELEBA_CROP,
    eyes: str = "landmarks",
) -> FaceData:
    """Read a CelebA folder: crop the face region, resize to ``image_size`` (height, width), split.

    The split is the official one when ``list_eval_partition.txt`` is present (the fractions are
    then ignored), otherwise a seeded random one. ``cache`` is ``True`` (the user cache folder,
    see ``default_cache_folder``), a folder, or ``False`` to decode every time. ``eyes`` is where
    the eyes target comes from: ``"landmarks"`` (the eyes' measured opening, ``read_eye_openness``)
    or ``"narrow_eyes"`` (the attribute; see ``condition_targets``).
    """
    if eyes not in EYE_SOURCES:
        raise ValueError(f"eyes={eyes!r}; expected one of {EYE_SOURCES}")
    folder = Path(folder)
    _check_size(image_size)
    _check_fractions(val_fraction, test_fraction)
    attributes, files = read_celeba_files(folder)
    images = read_faces(files, image_size, crop, cache)
    partition_file = folder / PARTITION_FILE
    if partition_file.exists():
        part = read_celeba_partition(partition_file, attributes.index)
    else:
        part = _random_partition(len(files), val_fraction, test_fraction, seed)
    openness = read_eye_openness(files, cache) if eyes == "landmarks" else None
    targets = condition_targets(attributes, openness)
    splits = [_subset(images, attributes, targets, np.flatnonzero(part == k)) for k in range(3)]
    return FaceData(*splits, source=str(folder), image_size=tuple(image_size))


def read_celeba_files(folder: str | os.PathLike) -> tuple[pd.DataFrame, list[Path]]:
    """A CelebA folder's 40 attributes and the image file of each row, every file checked to exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; expected a CelebA folder holding {ATTRIBUTE_FILE}")
    attributes = read_celeba_attributes(folder / ATTRIBUTE_FILE)
    image_folder = _celeba_image_folder(folder)
    files = [image_folder / name for name in attributes.index]
    _check_exist(files, f"named by {folder / ATTRIBUTE_FILE}")
    return attributes, files


def read_celeba_attributes(path: str | os.PathLike) -> pd.DataFrame:
    """``list_attr_celeba.txt`` as a uint8 0/1 DataFrame indexed by image name, checked line by line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected CelebA's attribute file {ATTRIBUTE_FILE}")
    lines = path.read_text().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2:
        raise DataError(f"{path}: {len(lines)} lines; expected the count, the attribute names, then one row per image")
    count = _parse_count(path, lines[0])
    columns = lines[1].split()
    if len(columns) != NUM_ATTRIBUTES:
        raise DataError(f"{path}, line 2: {len(columns)} attribute names; expected {NUM_ATTRIBUTES}")
    rows = [line.split() for line in lines[2:]]
    if count != len(rows):
        raise DataError(f"{path}, line 1: the count says {count} images but {len(rows)} rows follow")
    for number, row in enumerate(rows, start=3):
        if len(row) != NUM_ATTRIBUTES + 1:
            raise DataError(
                f"{path}, line {number}: {len(row)} fields; expected the image name and {NUM_ATTRIBUTES} values"
            )
    values = np.array([row[1:] for row in rows], dtype=str).reshape(len(rows), NUM_ATTRIBUTES)
    bad = np.argwhere((values != "1") & (values != "-1"))
    if len(bad):
        row, column = bad[0]
        raise DataError(
            f"{path}, line {row + 3} ({rows[row][0]}), column {columns[column]}: value {str(values[row, column])!r}; "
            "expected 1 or -1"
        )
    names = pd.Index([row[0] for row in rows], name="image")
    _check_unique(path, names)
    return pd.DataFrame((values == "1").astype(np.uint8), index=names, columns=columns)


def read_celeba_partition(path: str | os.PathLike, names: pd.Index) -> np.ndarray:
    """The official split of ``names`` from ``list_eval_partition.txt``: 0 train, 1 val, 2 test."""
    path = Path(path)
    partition = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DataError(f"{path}, line {number}: {line.strip()!r}; expected an image name and 0, 1 or 2")
        partition[fields[0]] = int(fields[1])
    missing = [name for name in names if name not in partition]
    if missing:
        raise DataError(f"{path}: no split for {len(missing)} images of the attribute file, e.g. {missing[:5]}")
    return np.array([partition[name] for name in names], dtype=np.int64)


def _parse_count(path: Path, line: str) -> int:
    try:
        count = int(line.strip())
    except ValueError:
        raise DataError(f"{path}, line 1: {line.strip()!r}; expected the number of images") from None
    if count < 0:
        raise DataError(f"{path}, line 1: {count}; expected the number of images")
    return count


def _celeba_image_folder(folder: Path) -> Path:
    for name in IMAGE_FOLDERS:
        if (folder / name).is_dir():
            return folder / name
    raise FileNotFoundError(f"{folder}: no image folder; expected {' or '.join(n + '/' for n in IMAGE_FOLDERS)}")


def condition_targets(attributes: pd.DataFrame, eye_openness: np.ndarray | None = None) -> pd.DataFrame:
    """The four face conditions from CelebA's 40 attributes (0/1), in [0, 1] with NaN = unlabelled.

    - ``male`` = ``Male``.
    - ``hair`` (1 dark … 0 light) = ``Black_Hair`` 1, ``Brown_Hair`` 0.5, ``Blond_Hair`` 0, ``Gray_Hair``
      0 (the original's three levels). A face with none of these (red hair, bald, hidden) or with
      colours that disagree (e.g. black and brown) is unlabelled; blond and grey together are 0.
    - ``mouth`` (1 wide open … 0 closed) = 0 when ``Mouth_Slightly_Open`` is off, 0.5 when it is on
      without ``Smiling``, 1 with it: CelebA has no "wide open", and an open smile (teeth shown) is
      its widest mouth, while an open mouth without a smile is mostly parted lips. ``Smiling``
      alone (closed-mouth smile) stays 0: the target is the mouth's opening, not the expression.
    - ``eyes`` (1 wide open … 0 closed) = ``eye_openness`` when given (measured from landmarks,
      ``read_eye_openness``; NaN where no face was found), relative to faces of the same sex
      (``same_sex_relative``), else 1 − ``Narrow_Eyes``, which a model cannot learn (RESULTS.md).
      Unlabelled under ``Eyeglasses`` either way: in CelebA it includes sunglasses, which hide
      the eyes.
    """
    a = attributes.astype(np.float32)
    hair_levels = {"Black_Hair": 1.0, "Brown_Hair": 0.5, "Blond_Hair": 0.0, "Gray_Hair": 0.0}
    levels = pd.DataFrame({name: a[name].where(a[name] == 1) * value for name, value in hair_levels.items()})
    agree = levels.max(axis=1) == levels.min(axis=1)  # False when none is set (NaN) or they disagree
    hair = levels.max(axis=1).where(agree)
    mouth = 0.5 * a["Mouth_Slightly_Open"] * (1 + a["Smiling"])
    if eye_openness is None:
        eyes = (1 - a["Narrow_Eyes"]).where(a["Eyeglasses"] == 0)
    else:
        eyes = same_sex_relative(pd.Series(eye_openness, index=a.index).where(a["Eyeglasses"] == 0), a["Male"])
    targets = pd.DataFrame({"male": a["Male"], "hair": hair, "mouth": mouth, "eyes": eyes}, index=attributes.index)
    return targets.astype(np.float32)


def same_sex_relative(values: pd.Series, male: pd.Series) -> pd.Series:
    """``values`` standardized within each sex, then put back on the scale of all of them (their
    mean and standard deviation) and clipped to [0, 1]; NaN stays NaN.

    Why: measured eye openness differs by sex on CelebA (women 0.60, men 0.48 on average), and a
    regressor trained on it leaned on sex cues, so its predictions correlated with P(male) at
    r −0.59. As a C-VAE condition the eyes then carried sex, and the decoder obeyed a requested
    sex less (benchmarks/RESULTS.md). Relative to the same sex, openness carries no sex.
    """
    relative = values.groupby(male).transform(_standardized)
    return (values.mean() + values.std() * relative).clip(0.0, 1.0)


def _standardized(values: pd.Series) -> pd.Series:
    """z-scores; a group too small or too uniform to have a spread sits at its mean."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else values * 0


# ------------------------------------------------------------------------------ the original layout


def load_face_folders(
    root: str | os.PathLike,
    image_size: tuple[int, int] = (64, 64),
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    cache: bool | str | os.PathLike = True,
    crop: tuple[float, float, float, float] | None = None,
) -> FaceData:
    """Read ``Male/``, ``Female/`` (and ``unlabelled/``) folders and the label CSVs (module docstring).

    ``crop`` is a region as fractions (left, top, right, bottom) of each image, ``None`` the whole
    image; the centre of that region at the target's aspect ratio is resized to ``image_size``.
    Labelled faces are split by seeded, sex-stratified fractions; ``unlabelled/`` faces become
    ``FaceData.unlabelled`` with every target NaN.
    """
    root = Path(root)
    _check_size(image_size)
    _check_fractions(val_fraction, test_fraction)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder; expected Male/ and Female/ folders of faces")
    folders = _face_folders(root)
    names, sexes = [], []
    for sex in SEXES:
        files = _image_files(folders[sex])
        names += [f"{folders[sex].name}/{file.name}" for file in files]
        sexes += [1.0 if sex == "male" else 0.0] * len(files)
    targets = pd.DataFrame(np.nan, index=pd.Index(names, name="image"), columns=list(TARGETS), dtype=np.float32)
    targets["male"] = np.asarray(sexes, dtype=np.float32)
    for target in LABEL_TARGETS:
        for sex in SEXES:
            _read_label_csv(root / f"{target}_{sex}.csv", folders[sex], targets, target)
    images = read_faces([root / name for name in names], image_size, crop, cache)
    part = _random_partition(len(names), val_fraction, test_fraction, seed, strata=targets["male"].to_numpy())
    splits = [_subset(images, targets, targets, np.flatnonzero(part == k)) for k in range(3)]
    unlabelled = None
    if "unlabelled" in folders:
        files = _image_files(folders["unlabelled"])
        extra = pd.DataFrame(np.nan, index=pd.Index([f"{folders['unlabelled'].name}/{f.name}" for f in files]),
                             columns=list(TARGETS), dtype=np.float32)  # fmt: skip
        extra.index.name = "image"
        extra_images = read_faces(files, image_size, crop, cache)
        unlabelled = FaceSplit(extra_images, extra.index.to_numpy(str), extra, extra)
    return FaceData(*splits, source=str(root), image_size=tuple(image_size), unlabelled=unlabelled)


def _face_folders(root: Path) -> dict[str, Path]:
    """The sex folders and the optional unlabelled one; any other folder is an error, not ignored."""
    folders, unknown = {}, []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        key = entry.name.lower()
        if key in SEXES:
            folders[key] = entry
        elif key in UNLABELLED_FOLDERS:
            folders["unlabelled"] = entry
        else:
            unknown.append(entry.name)
    if unknown:
        raise DataError(f"{root}: unexpected folders {unknown}; expected Male/, Female/ and optionally unlabelled/")
    missing = [sex.capitalize() + "/" for sex in SEXES if sex not in folders]
    if missing:
        raise DataError(f"{root}: no {' and no '.join(missing)} folder; expected Male/ and Female/ folders of faces")
    return folders


def _image_files(folder: Path) -> list[Path]:
    files = sorted(f for f in folder.iterdir() if not f.name.startswith(".") and f.is_file())
    others = [f.name for f in files if f.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        raise DataError(f"{folder}: files that are not images by their name: {others[:MAX_LISTED]}")
    if not files:
        raise DataError(f"{folder}: no images; expected face images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def _read_label_csv(path: Path, folder: Path, targets: pd.DataFrame, target: str) -> None:
    """Fill ``targets[target]`` from a ``file,value`` CSV of one sex folder, checking every row."""
    if not path.exists():
        return
    try:
        table = pd.read_csv(path, dtype={"file": str, "value": str}, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV ({err})") from None
    if list(table.columns) != ["file", "value"]:
        raise DataError(f"{path}: columns {list(table.columns)}; expected the header 'file,value'")
    values = pd.to_numeric(table["value"], errors="coerce")
    for row, (file, text, value) in enumerate(zip(table["file"], table["value"], values), start=2):
        name = f"{folder.name}/{file}"
        if name not in targets.index:
            raise DataError(f"{path}, line {row}: {file!r} is not an image in {folder}")
        if not 0 <= value <= 1:  # also False for NaN (an empty or non-numeric value)
            raise DataError(f"{path}, line {row} ({file}): value {text!r}; expected a number in [0, 1]")
    duplicated = table["file"][table["file"].duplicated()].tolist()
    if duplicated:
        raise DataError(f"{path}: files listed more than once: {duplicated[:MAX_LISTED]}")
    targets.loc[[f"{folder.name}/{file}" for file in table["file"]], target] = values.to_numpy(np.float32)


# ------------------------------------------------------------------------------ images and the cache


def read_faces(
    files: list[Path],
    image_size: tuple[int, int],
    crop: tuple[float, float, float, float] | None,
    cache: bool | str | os.PathLike = True,
) -> np.ndarray:
    """Decode, crop and resize ``files`` to uint8 (N, H, W, 3), through the cache when one is given."""
    crop = None if crop is None else tuple(float(c) for c in crop)
    _check_crop(crop)
    cache_file = _cache_file(f"faces-{image_size[0]}x{image_size[1]}", files, [list(image_size), crop], cache)
    images = _read_cached(cache_file, "images", (len(files), *image_size, 3), np.uint8)
    if images is None:
        images = _decode_all(files, image_size, crop)
        if cache_file is not None:
            _write_atomically(cache_file, images=images)
    return images


def read_eye_openness(files: list[Path], cache: bool | str | os.PathLike = True) -> np.ndarray:
    """(N,) eyes targets of ``files`` from their landmarks (``read_landmarks``), NaN where no face is found."""
    points = read_landmarks(files, cache)
    if len(files) and np.isnan(points).all():
        raise DataError(
            f"{Path(files[0]).parent}: dlib found no face in any of the {len(files)} images, so the eyes "
            "target cannot come from landmarks; set data.eyes=narrow_eyes for CelebA's Narrow_Eyes attribute"
        )
    return eye_openness(points)


def read_landmarks(files: list[Path], cache: bool | str | os.PathLike = True) -> np.ndarray:
    """(N, 68, 2) dlib landmarks of ``files`` (``cvae_tf.families.faces.landmarks.face_landmarks``), cached like
    the images (dlib reads about 180 faces a second)."""
    cache_file = _cache_file("landmarks", files, "68 landmarks", cache)
    points = _read_cached(cache_file, "points", (len(files), 68, 2), np.float32)
    if points is None:
        points = face_landmarks(files)
        if cache_file is not None:
            _write_atomically(cache_file, points=points)
    return points


def default_cache_folder() -> Path:
    """``$CVAE_TF_CACHE``, else ``$XDG_CACHE_HOME/cvae_tf``, else ``~/.cache/cvae_tf``; faces go in ``faces/``."""
    if os.environ.get("CVAE_TF_CACHE"):
        return Path(os.environ["CVAE_TF_CACHE"]) / "faces"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cvae_tf" / "faces"


def _cache_file(kind: str, files, key, cache) -> Path | None:
    """The cache file of ``kind`` for exactly these files (names, sizes, times) and ``key`` (JSON)."""
    if cache is False or cache is None:
        return None
    folder = default_cache_folder() if cache is True else Path(cache)
    digest = hashlib.sha256()
    digest.update(json.dumps([CACHE_VERSION, key]).encode())
    for file in files:
        stat = file.stat()
        digest.update(f"{Path(file).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return folder / f"{kind}-{len(files)}-{digest.hexdigest()[:20]}.npz"


def _read_cached(path: Path | None, name: str, shape: tuple, dtype) -> np.ndarray | None:
    """The array ``name`` of a cache file when it exists and has this shape and dtype; a damaged
    or stale file reads as ``None`` and is rebuilt."""
    if path is None or not path.exists():
        return None
    try:
        with np.load(path) as stored:
            array = stored[name]
    except (OSError, ValueError, KeyError):
        return None
    return array if array.shape == shape and array.dtype == dtype else None


def _write_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write beside the target, then rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is as readable as the data
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _decode_all(files: list[Path], image_size, crop) -> np.ndarray:
    """Decode on a few threads (Pillow releases the GIL) and list every unreadable file at once."""
    images = np.zeros((len(files), *image_size, 3), np.uint8)
    problems = []

    def one(index: int) -> None:
        try:
            images[index] = _decode(files[index], image_size, crop)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
            problems.append((index, f"{files[index]}: not a readable image ({type(err).__name__}: {err})"))

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(one, range(len(files))))
    if problems:
        listed = [text for _, text in sorted(problems)]
        more = len(listed) - MAX_LISTED
        raise DataError(
            f"{len(listed)} of {len(files)} images cannot be read:\n  "
            + "\n  ".join(listed[:MAX_LISTED])
            + (f"\n  … and {more} more" if more > 0 else "")
        )
    return images


def _decode(file: Path, image_size, crop) -> np.ndarray:
    """One image: the crop region's centre at the target's aspect ratio, resized (Lanczos) to RGB uint8."""
    height, width = image_size
    with Image.open(file) as image:
        image = image.convert("RGB")
        box = _fit_box(image.size, crop or (0.0, 0.0, 1.0, 1.0), width / height)
        resized = image.resize((width, height), Image.Resampling.LANCZOS, box=box)
    return np.asarray(resized, dtype=np.uint8)


def _fit_box(size, crop, aspect: float) -> tuple[float, float, float, float]:
    """The largest box of ``aspect`` (width / height) centred in the ``crop`` region, in pixels."""
    w, h = size
    left, top, right, bottom = crop[0] * w, crop[1] * h, crop[2] * w, crop[3] * h
    box_w, box_h = right - left, bottom - top
    if box_w / box_h > aspect:
        cut = (box_w - box_h * aspect) / 2
        left, right = left + cut, right - cut
    else:
        cut = (box_h - box_w / aspect) / 2
        top, bottom = top + cut, bottom - cut
    return (left, top, right, bottom)


def _check_exist(files: list[Path], named_by: str) -> None:
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        more = len(missing) - MAX_LISTED
        raise DataError(
            f"{len(missing)} images {named_by} are missing:\n  "
            + "\n  ".join(missing[:MAX_LISTED])
            + (f"\n  … and {more} more" if more > 0 else "")
        )


# ------------------------------------------------------------------------------------------ helpers


def _check_size(image_size) -> None:
    if len(image_size) != 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in image_size):
        raise ValueError(f"image_size={image_size!r}; expected (height, width), two positive whole numbers")


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction={val_fraction}, test_fraction={test_fraction}; expected each in [0, 1), summing below 1"
        )


def _check_crop(crop) -> None:
    if crop is None:
        return
    if len(crop) != 4 or not (0 <= crop[0] < crop[2] <= 1 and 0 <= crop[1] < crop[3] <= 1):
        raise ValueError(
            f"crop={crop!r}; expected (left, top, right, bottom) fractions of the image, 0 ≤ left < right ≤ 1"
        )


def _check_unique(path: Path, names: pd.Index) -> None:
    duplicated = names[names.duplicated()].tolist()
    if duplicated:
        raise DataError(f"{path}: images listed more than once: {duplicated[:MAX_LISTED]}")


def _random_partition(n: int, val_fraction: float, test_fraction: float, seed: int, strata=None) -> np.ndarray:
    """0 / 1 / 2 (train / val / test) per item, seeded; each stratum divided in the same proportions."""
    rng = np.random.default_rng(seed)
    part = np.zeros(n, dtype=np.int64)
    strata = np.zeros(n) if strata is None else np.asarray(strata)
    for value in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == value))
        n_val, n_test = round(len(members) * val_fraction), round(len(members) * test_fraction)
        part[members[:n_val]] = 1
        part[members[n_val : n_val + n_test]] = 2
    return part


def _subset(images: np.ndarray, attributes: pd.DataFrame, targets: pd.DataFrame, indices: np.ndarray) -> FaceSplit:
    return FaceSplit(images, attributes.index.to_numpy(str), attributes, targets).take(indices)


def face_batches(
    split: FaceSplit,
    batch_size: int,
    shuffle: bool,
    seed: int,
    conditions=None,
    augment=False,
    shift: int = 0,
    condition_noise: float = 0.0,
):
    """tf.data batches of ``{"image", "targets"}`` (NaN = unlabelled), or ``{"image", "condition"}``
    with ``conditions``; images scaled to [0, 1] and, with ``augment``, mirrored at random and
    shifted by up to ``shift`` pixels (on uint8, several times cheaper on a CPU than Keras'
    interpolating layers). ``condition_noise``: the standard deviation of Gaussian noise added to each
    condition value (clipped to [0, 1]), drawn anew each epoch, so that the fine detail of the
    condition models' readings cannot stand in for what z should carry."""
    if shift < 0:
        raise ValueError(f"shift={shift}: expected 0 or more pixels")
    if condition_noise < 0:
        raise ValueError(f"condition_noise={condition_noise}: expected a standard deviation of 0 or more")
    height, width = split.images.shape[1:3]
    features = {"image": split.images}
    if conditions is None:
        features["targets"] = split.targets[list(TARGETS)].to_numpy(np.float32)
    else:
        features["condition"] = np.asarray(conditions, np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(features)
    if shuffle:
        dataset = dataset.shuffle(len(split.images), seed=seed, reshuffle_each_iteration=True)

    def prepare(batch):
        image = batch["image"]
        if augment:
            image = tf.image.random_flip_left_right(image)
        if augment and shift:
            padded = tf.pad(image, [[shift, shift], [shift, shift], [0, 0]], mode="SYMMETRIC")
            image = tf.image.random_crop(padded, (height, width, 3))
        batch = {**batch, "image": tf.cast(image, tf.float32) / 255.0}
        if condition_noise and "condition" in batch:
            noise = tf.random.normal(tf.shape(batch["condition"]), stddev=condition_noise)
            batch["condition"] = tf.clip_by_value(batch["condition"] + noise, 0.0, 1.0)
        return batch

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)
