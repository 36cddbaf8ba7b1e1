import gzip
import struct

import numpy as np
import pandas as pd
import pytest

from cvae_tf.core.errors import DataError
from cvae_tf.families.mnist.data import CSV_COLUMNS, load_mnist, load_mnist_csv, load_mnist_idx


def write_csv(path, images, labels):
    frame = pd.DataFrame(np.column_stack([labels, images.reshape(len(images), -1)]), columns=CSV_COLUMNS)
    frame.to_csv(path, index=False)
    return path


def write_idx(path, array, opener=open):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with opener(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name", ["mnist_train.csv", "mnist_train.csv.gz"])
def test_csv_round_trip(tmp_path, digits, name):
    images, labels = digits
    split = load_mnist_csv(write_csv(tmp_path / name, images, labels))
    assert split.images.dtype == np.uint8 and split.images.shape == (40, 28, 28)
    np.testing.assert_array_equal(split.images, images)
    np.testing.assert_array_equal(split.labels, labels)


def corrupt(path, line, column, value):
    lines = path.read_text().splitlines()
    cells = lines[line - 1].split(",")
    cells[CSV_COLUMNS.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "line, column, value, message",
    [
        (3, "label", "10", r"line 3, column 'label' holds 10; expected 0-9"),
        (4, "label", "-1", r"line 4, column 'label' holds -1; expected 0-9"),
        (5, "14x7", "256", r"line 5, column '14x7' holds 256; expected 0-255"),
        (2, "1x1", "abc", r"line 2, column '1x1' holds 'abc'; expected a whole number"),
        (6, "28x28", "3.5", r"line 6, column '28x28' holds 3.5; expected a whole number"),
        (7, "2x2", "", r"line 7, column '2x2' is empty; expected a whole number"),
        (1, "1x2", "pixel2", r"header column 3 is 'pixel2'; expected '1x2'"),
    ],
)
def test_csv_bad_cells_name_file_row_and_column(tmp_path, digits, line, column, value, message):
    path = write_csv(tmp_path / "mnist_train.csv", *digits)
    corrupt(path, line, column, value)
    with pytest.raises(DataError, match=message) as info:
        load_mnist_csv(path)
    assert str(path) in str(info.value)


def test_csv_wrong_shapes_and_empty_files(tmp_path, digits):
    path = write_csv(tmp_path / "a.csv", *digits)
    lines = path.read_text().splitlines()
    (tmp_path / "extra.csv").write_text("\n".join(lines[:3] + [lines[3] + ",7"] + lines[4:]))
    with pytest.raises(DataError, match=r"extra.csv: .*Expected 785 fields in line 4, saw 786"):
        load_mnist_csv(tmp_path / "extra.csv")
    (tmp_path / "short_header.csv").write_text("label,1x1\n3,0\n")
    with pytest.raises(DataError, match="header has 2 columns; expected 785"):
        load_mnist_csv(tmp_path / "short_header.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty.csv: the file is empty"):
        load_mnist_csv(tmp_path / "empty.csv")
    (tmp_path / "header_only.csv").write_text(lines[0] + "\n")
    with pytest.raises(DataError, match="no image rows"):
        load_mnist_csv(tmp_path / "header_only.csv")
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_mnist_csv(tmp_path / "missing.csv")


@pytest.mark.parametrize("suffix, opener", [("", open), (".gz", gzip.open)])
def test_idx_folder(tmp_path, digits, suffix, opener):
    images, labels = digits
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, opener)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, opener)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images[:10], opener)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels[:10], opener)
    train, test = load_mnist_idx(tmp_path)
    np.testing.assert_array_equal(train.images, images)
    np.testing.assert_array_equal(test.labels, labels[:10])
    data = load_mnist(tmp_path, val_fraction=0.25)
    assert (len(data.train), len(data.val), len(data.test)) == (30, 10, 10)
    assert sorted(data.val.labels) == list(range(10))  # stratified


def test_idx_errors(tmp_path, digits):
    images, labels = digits
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    bad_labels = labels.copy()
    bad_labels[5] = 12
    write_idx(tmp_path / "train-labels-idx1-ubyte", bad_labels)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: label 5 holds 12; expected 0-9"):
        load_mnist_idx(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:30])
    with pytest.raises(DataError, match=r"\(30,\) labels for 40 images"):
        load_mnist_idx(tmp_path)
    data = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(data[:-100])
    with pytest.raises(DataError, match="header promises"):
        load_mnist_idx(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"PK\x03\x04" + data)
    with pytest.raises(DataError, match="not an IDX file"):
        load_mnist_idx(tmp_path)


def test_csv_folder_with_test_file(tmp_path, digits):
    images, labels = digits
    write_csv(tmp_path / "mnist_train.csv.gz", images, labels)
    write_csv(tmp_path / "mnist_test.csv.gz", images[:20], labels[:20])
    data = load_mnist(tmp_path, val_fraction=0.25, seed=3)
    assert (len(data.train), len(data.val), len(data.test)) == (30, 10, 20)
    again = load_mnist(tmp_path / "mnist_train.csv.gz", val_fraction=0.25, seed=3)
    np.testing.assert_array_equal(again.val.images, data.val.images)  # seeded split
    other = load_mnist(tmp_path, val_fraction=0.25, seed=4)
    assert not np.array_equal(other.val.images, data.val.images)


def test_unknown_sources_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(DataError, match="found neither IDX files"):
        load_mnist(tmp_path)


def test_keras_download_through_its_cache(tmp_path, monkeypatch, digits):
    images, labels = digits
    (tmp_path / "datasets").mkdir()
    np.savez(
        tmp_path / "datasets" / "mnist.npz", x_train=images, y_train=labels, x_test=images[:10], y_test=labels[:10]
    )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = load_mnist("keras", val_fraction=0.25)
    assert (len(data.train), len(data.val), len(data.test)) == (30, 10, 10)
    np.savez(
        tmp_path / "datasets" / "mnist.npz", x_train=images.astype(float), y_train=labels, x_test=images, y_test=labels
    )
    with pytest.raises(DataError, match=r"x_train is float64 .*expected uint8"):
        load_mnist("keras")


def test_bundled_sample_is_real_mnist():
    data = load_mnist("sample", seed=0)
    assert data.train.images.shape[1:] == (28, 28) and data.train.images.dtype == np.uint8
    assert len(data.train) + len(data.val) + len(data.test) == 5000
    assert np.bincount(data.train.labels).min() > 350
    mean_ink = data.train.images.mean() / 255
    assert 0.1 < mean_ink < 0.15  # MNIST's white ratio is about 0.13
