"""Image folders: layouts, colour conversion, resizing, seeded stratified splits, and bad files named."""

import numpy as np
import pytest
from PIL import Image

from cvae_tf.core.data import load_image_folder
from cvae_tf.core.data.folders import ImageFolderData
from cvae_tf.core.errors import DataError


def write_image(path, size=(20, 16), colour=(255, 0, 0), mode="RGB", fmt=None):
    """A solid image of ``size`` (width, height) in ``colour``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path, format=fmt)
    return path


def class_folder(root, counts=None):
    """PNGs and JPEGs in class subfolders 'cat' (red, 10) and 'dog' (blue, 20) by default."""
    counts = counts or {"cat": ((255, 0, 0), 10), "dog": ((0, 0, 255), 20)}
    for name, (colour, count) in counts.items():
        for i in range(count):
            suffix = "png" if i % 2 else "jpg"
            write_image(root / name / f"{name}{i:02d}.{suffix}", size=(20 + i, 16), colour=colour)
    return root


def test_class_subfolders_are_labelled_resized_and_split_stratified(tmp_path):
    data = load_image_folder(class_folder(tmp_path / "pets"), image_size=(8, 12), channels=3, fractions=(0.6, 0.2, 0.2))
    assert isinstance(data, ImageFolderData)
    assert data.class_names == ["cat", "dog"]
    assert data.train.images.shape == (18, 8, 12, 3) and data.train.images.dtype == np.uint8
    assert data.train.labels.dtype == np.int64
    # stratified: every split keeps the 1:2 ratio of cats to dogs
    for split, cats, dogs in ((data.train, 6, 12), (data.val, 2, 4), (data.test, 2, 4)):
        assert np.bincount(split.labels, minlength=2).tolist() == [cats, dogs]
    # the label follows the folder: cats are red, dogs blue (JPEG is lossy, hence the margins)
    cats = data.train.images[data.train.labels == 0]
    dogs = data.train.images[data.train.labels == 1]
    assert cats[..., 0].min() > 200 and cats[..., 2].max() < 60
    assert dogs[..., 2].min() > 200 and dogs[..., 0].max() < 60


def test_split_is_seeded_and_disjoint(tmp_path):
    root = tmp_path / "many"
    for i in range(40):
        write_image(root / f"{i:02d}.png", size=(4, 4), colour=i * 6, mode="L")
    first = load_image_folder(root, image_size=(4, 4), seed=3)
    again = load_image_folder(root, image_size=(4, 4), seed=3)
    other = load_image_folder(root, image_size=(4, 4), seed=4)
    np.testing.assert_array_equal(first.test.images, again.test.images)
    assert not np.array_equal(first.test.images, other.test.images)
    values = [set(split.images[:, 0, 0].tolist()) for split in (first.train, first.val, first.test)]
    assert [len(v) for v in values] == [32, 4, 4]
    assert len(set.union(*values)) == 40  # each image in exactly one split


def test_flat_folder_is_one_class_named_after_it(tmp_path):
    for i in range(10):
        write_image(tmp_path / "faces" / f"{i}.jpg", size=(89, 109))
    data = load_image_folder(tmp_path / "faces", image_size=(64, 64), channels=3, fractions=(0.8, 0.2, 0.0))
    assert data.class_names == ["faces"]
    assert data.train.images.shape == (8, 64, 64, 3) and data.val.images.shape == (2, 64, 64, 3)
    assert len(data.test) == 0 and data.test.images.shape[1:] == (64, 64, 3)
    assert set(data.train.labels.tolist()) == {0}


def test_colour_becomes_greyscale_by_luminance(tmp_path):
    write_image(tmp_path / "g" / "red.png", colour=(255, 0, 0))
    write_image(tmp_path / "g" / "white.png", colour=(255, 255, 255))
    data = load_image_folder(tmp_path / "g", image_size=(5, 5), channels=1, fractions=(1.0, 0.0, 0.0))
    assert data.train.images.shape == (2, 5, 5)  # (N, H, W) like MNIST
    assert sorted(data.train.images[:, 0, 0].tolist()) == [76, 255]  # ITU-R 601 luma of pure red


def test_greyscale_becomes_rgb_with_equal_channels(tmp_path):
    write_image(tmp_path / "g" / "a.png", colour=100, mode="L")
    data = load_image_folder(tmp_path / "g", image_size=(3, 3), channels=3, fractions=(1.0, 0.0, 0.0))
    assert data.train.images.shape == (1, 3, 3, 3) and np.all(data.train.images == 100)


def test_crop_keeps_the_centre_instead_of_stretching(tmp_path):
    image = np.zeros((10, 30), np.uint8)
    image[:, 10:20] = 255  # a white centre square, black sides
    Image.fromarray(image).save((tmp_path / "c").mkdir() or tmp_path / "c" / "wide.png")
    cropped = load_image_folder(tmp_path / "c", image_size=(10, 10), crop=True, fractions=(1, 0, 0)).train.images[0]
    stretched = load_image_folder(tmp_path / "c", image_size=(10, 10), fractions=(1, 0, 0)).train.images[0]
    assert cropped.min() > 240
    assert stretched[:, 0].max() < 20 and stretched[:, 5].min() > 240


def test_train_val_test_folders_are_taken_as_given(tmp_path):
    for split, count in (("train", 6), ("val", 2), ("test", 3)):
        class_folder(tmp_path / "d" / split, {"a": ((0, 0, 0), count), "b": ((255, 255, 255), count)})
    data = load_image_folder(tmp_path / "d", image_size=(4, 4), fractions=(0.5, 0.25, 0.25))
    assert data.class_names == ["a", "b"]
    assert (len(data.train), len(data.val), len(data.test)) == (12, 4, 6)
    assert np.all(data.test.images[data.test.labels == 1] > 240)


def test_without_val_folder_validation_is_held_out_of_train(tmp_path):
    class_folder(tmp_path / "d" / "train", {"a": ((0, 0, 0), 10), "b": ((255, 255, 255), 10)})
    class_folder(tmp_path / "d" / "test", {"a": ((0, 0, 0), 2), "b": ((255, 255, 255), 2)})
    data = load_image_folder(tmp_path / "d", image_size=(4, 4), fractions=(0.8, 0.2, 0.0))
    assert (len(data.train), len(data.val), len(data.test)) == (16, 4, 4)
    assert np.bincount(data.val.labels).tolist() == [2, 2]


def test_same_size_required_when_not_resizing(tmp_path):
    write_image(tmp_path / "s" / "a.png", size=(28, 28))
    write_image(tmp_path / "s" / "b.png", size=(28, 28))
    write_image(tmp_path / "s" / "odd.png", size=(30, 28))
    with pytest.raises(DataError, match=r"odd\.png: 30×28 pixels; expected 28×28"):
        load_image_folder(tmp_path / "s", image_size=None)


def test_bad_files_are_all_named_in_one_error(tmp_path):
    root = class_folder(tmp_path / "pets")
    (root / "cat" / "notes.png").write_text("this is text, not a PNG")
    (root / "dog" / "empty.jpg").write_bytes(b"")
    good = (root / "dog" / "dog01.png").read_bytes()
    (root / "dog" / "cut.png").write_bytes(good[: len(good) // 2])  # a truncated PNG
    (root / "README.txt").write_text("a loose file beside the class folders")
    (root / ".DS_Store").write_bytes(b"\0\1")  # hidden: ignored
    with pytest.raises(DataError) as caught:
        load_image_folder(root)
    message = str(caught.value)
    assert "4 of 34 files cannot be used" in message
    for name in ("notes.png", "empty.jpg", "cut.png", "README.txt"):
        assert name in message
    assert "empty file (0 bytes)" in message and "beside the class folders" in message
    assert ".DS_Store" not in message


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda root: None, FileNotFoundError, "no such folder"),
        (lambda root: root.mkdir(), DataError, "no image files found"),
        (lambda root: (root / "empty_class").mkdir(parents=True), DataError, "no image files found"),
        (lambda root: root.write_text("x"), DataError, "is a file"),
    ],
    ids=["missing", "empty", "empty-class-folder", "a-file"],
)
def test_missing_or_empty_folder_is_a_clear_error(tmp_path, make, error, match):
    root = tmp_path / "images"
    make(root)
    with pytest.raises(error, match=match):
        load_image_folder(root)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"fractions": (0.8, 0.1, 0.2)}, r"fractions=\(0.8, 0.1, 0.2\).*summing to 1"),
        ({"fractions": (0.0, 0.5, 0.5)}, "train above 0"),
        ({"fractions": (1.2, -0.1, -0.1)}, "each at least 0"),
        ({"fractions": (0.5, 0.5)}, r"expected \(train, val, test\)"),
        ({"channels": 4}, "channels=4; expected 1"),
        ({"image_size": (28, 0)}, r"image_size=\(28, 0\)"),
    ],
)
def test_bad_arguments_name_the_value(tmp_path, kwargs, match):
    write_image(tmp_path / "ok" / "a.png")
    with pytest.raises(ValueError, match=match):
        load_image_folder(tmp_path / "ok", **kwargs)
