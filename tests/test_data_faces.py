"""Face loaders on small synthetic CelebA folders and face folders made in tmp_path."""

import functools

import numpy as np
import pandas as pd
import pytest
from helpers import ATTRIBUTES, attribute_rows, face, make_celeba, write_attributes

from cvae_tf.core.errors import DataError
from cvae_tf.families.faces import data as faces
from cvae_tf.families.faces.data import condition_targets, load_face_folders, same_sex_relative

# The synthetic faces have no landmarks to find, so their eyes target is CelebA's Narrow_Eyes.
load_celeba = functools.partial(faces.load_celeba, eyes="narrow_eyes")


def test_load_celeba_reads_both_resolutions_alike(tmp_path):
    half = load_celeba(make_celeba(tmp_path / "half"), image_size=(32, 32), cache=False)
    full = load_celeba(
        make_celeba(tmp_path / "full", size=(178, 218), folder="img_align_celeba"), (32, 32), cache=False
    )
    for data in (half, full):
        assert data.train.images.shape[1:] == (32, 32, 3) and data.train.images.dtype == np.uint8
        assert (len(data.train), len(data.val), len(data.test)) == (16, 2, 2)
        assert list(data.train.attributes.columns) == ATTRIBUTES
        assert set(np.unique(data.train.attributes.to_numpy())) <= {0, 1}
        assert list(data.train.targets.columns) == ["male", "hair", "mouth", "eyes"]
    np.testing.assert_array_equal(half.test.names, full.test.names)
    difference = np.abs(half.test.images.astype(int) - full.test.images.astype(int)).mean()
    assert difference < 8  # the same crop of the same drawing at either resolution


def test_load_celeba_male_matches_image_colour(tmp_path):
    data = load_celeba(make_celeba(tmp_path), image_size=(16, 16), cache=False, val_fraction=0, test_fraction=0)
    centre = data.train.images[:, 8, 8].astype(int)
    is_blue = centre[:, 2] > centre[:, 0]
    np.testing.assert_array_equal(is_blue, data.train.targets["male"].to_numpy() == 1)


def test_official_partition_is_used(tmp_path):
    root = make_celeba(tmp_path)
    (root / faces.PARTITION_FILE).write_text(
        "".join(f"{i:06d}.jpg {0 if i <= 14 else 1 if i <= 17 else 2}\n" for i in range(1, 21))
    )
    data = load_celeba(root, image_size=(16, 16), cache=False)
    assert list(data.val.names) == ["000015.jpg", "000016.jpg", "000017.jpg"]
    assert (len(data.train), len(data.test)) == (14, 3)


def test_partition_without_an_image_is_an_error(tmp_path):
    root = make_celeba(tmp_path)
    (root / faces.PARTITION_FILE).write_text("000001.jpg 0\n")
    with pytest.raises(DataError, match=r"list_eval_partition.txt: no split for 19 images"):
        load_celeba(root, image_size=(16, 16), cache=False)


def test_attribute_count_disagreeing_with_rows(tmp_path):
    root = make_celeba(tmp_path)
    write_attributes(root / faces.ATTRIBUTE_FILE, ["000001.jpg"], attribute_rows(1), count=5)
    with pytest.raises(DataError, match=r"line 1: the count says 5 images but 1 rows follow"):
        load_celeba(root, cache=False)


def test_attribute_row_with_wrong_number_of_values(tmp_path):
    root = make_celeba(tmp_path, n=2)
    values = attribute_rows(2).tolist()
    values[1] = values[1][:-1]
    write_attributes(root / faces.ATTRIBUTE_FILE, ["000001.jpg", "000002.jpg"], values)
    with pytest.raises(DataError, match=r"line 4: 40 fields; expected the image name and 40 values"):
        load_celeba(root, cache=False)


def test_attribute_value_other_than_plus_minus_one(tmp_path):
    root = make_celeba(tmp_path, n=2)
    values = attribute_rows(2)
    values[1, ATTRIBUTES.index("Smiling")] = 0
    write_attributes(root / faces.ATTRIBUTE_FILE, ["000001.jpg", "000002.jpg"], values)
    with pytest.raises(DataError, match=r"line 4 \(000002.jpg\), column Smiling: value '0'; expected 1 or -1"):
        load_celeba(root, cache=False)


def test_missing_image_named_by_the_attribute_file(tmp_path):
    root = make_celeba(tmp_path)
    (root / "images" / "000007.jpg").unlink()
    with pytest.raises(DataError, match=r"1 images named by .*list_attr_celeba.txt are missing:\n .*000007.jpg"):
        load_celeba(root, cache=False)


def test_unreadable_image(tmp_path):
    root = make_celeba(tmp_path)
    (root / "images" / "000003.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match=r"1 of 20 images cannot be read:\n .*000003.jpg: not a readable image"):
        load_celeba(root, cache=False)


def test_no_image_folder(tmp_path):
    root = make_celeba(tmp_path)
    (root / "images").rename(root / "pictures")
    with pytest.raises(FileNotFoundError, match=r"expected img_align_celeba/ or images/"):
        load_celeba(root, cache=False)


def test_second_load_reads_the_cache_not_the_jpegs(tmp_path, monkeypatch):
    root, cache = make_celeba(tmp_path / "celeba"), tmp_path / "cache"
    first = load_celeba(root, image_size=(24, 24), cache=cache)
    assert len(list(cache.glob("*.npz"))) == 1 and not list(cache.glob("*.tmp"))

    def fail(*args):
        raise AssertionError("decoded a JPEG despite the cache")

    monkeypatch.setattr(faces, "_decode", fail)
    second = load_celeba(root, image_size=(24, 24), cache=cache)
    np.testing.assert_array_equal(first.train.images, second.train.images)
    with pytest.raises(AssertionError, match="despite the cache"):  # another size is another cache entry
        load_celeba(root, image_size=(16, 16), cache=cache)


def test_default_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CVAE_TF_CACHE", str(tmp_path))
    assert faces.default_cache_folder() == tmp_path / "faces"


def test_condition_targets_mapping():
    rows = [
        {"Male": 1, "Black_Hair": 1, "Mouth_Slightly_Open": 1, "Smiling": 1},
        {"Brown_Hair": 1, "Mouth_Slightly_Open": 1, "Narrow_Eyes": 1},
        {"Blond_Hair": 1, "Gray_Hair": 1, "Smiling": 1, "Eyeglasses": 1},
        {"Black_Hair": 1, "Blond_Hair": 1},
        {},
    ]
    attributes = pd.DataFrame(rows, columns=ATTRIBUTES).fillna(0).astype(np.uint8)
    targets = condition_targets(attributes)
    expected = pd.DataFrame(
        {
            "male": [1, 0, 0, 0, 0],
            "hair": [1, 0.5, 0, np.nan, np.nan],
            "mouth": [1, 0.5, 0, 0, 0],
            "eyes": [1, 0, np.nan, 1, 1],
        },
        dtype=np.float32,
    )
    pd.testing.assert_frame_equal(targets, expected)
    openness = np.array([0.9, 0.2, 0.7, np.nan, 0.4], np.float32)  # measured; NaN: no face found
    from_landmarks = condition_targets(attributes, openness)["eyes"].to_numpy()
    # Row 2 wears glasses. The lone man sits at the mean (0.5) of the three measured faces; the two
    # women, at z = ∓1/√2 within their sex, sit that many of the three's standard deviations off it.
    spread = np.std([0.9, 0.2, 0.4], ddof=1) / np.sqrt(2)
    np.testing.assert_allclose(from_landmarks, [0.5, 0.5 - spread, np.nan, np.nan, 0.5 + spread], rtol=1e-5)


def test_same_sex_relative_removes_the_difference_between_sexes():
    rng = np.random.default_rng(0)
    male = pd.Series(np.repeat([0.0, 1.0], 500))
    values = pd.Series(np.concatenate([rng.normal(0.6, 0.2, 500), rng.normal(0.45, 0.1, 500)])).clip(0, 1)
    values[[3, 600]] = np.nan
    relative = same_sex_relative(values, male)
    assert np.isnan(relative[[3, 600]]).all() and relative.between(0, 1).sum() == 998
    women, men = relative[male == 0], relative[male == 1]
    assert abs(women.mean() - men.mean()) < 0.01 and abs(women.std() - men.std()) < 0.01
    assert abs(np.corrcoef(relative.dropna(), male[relative.notna()])[0, 1]) < 0.02
    assert np.corrcoef(values.dropna(), relative.dropna())[0, 1] > 0.8  # the order within a sex is kept


# ------------------------------------------------------------------------------ the original layout


def make_folders(root, n=6):
    for sex, male in (("Male", True), ("Female", False)):
        (root / sex).mkdir(parents=True)
        for i in range(n):
            face((40, 50), male, i).save(root / sex / f"{sex.lower()}_{i:02d}.jpg")
    (root / "unlabelled").mkdir()
    face((40, 50), True, 0).save(root / "unlabelled" / "who.png")
    (root / "hair_male.csv").write_text("file,value\nmale_00.jpg,1\nmale_01.jpg,0.5\n")
    (root / "eyes_female.csv").write_text("file,value\nfemale_03.jpg,0\n")
    return root


def test_load_face_folders(tmp_path):
    data = load_face_folders(make_folders(tmp_path), image_size=(16, 16), cache=False, val_fraction=0, test_fraction=0)
    targets = data.train.targets
    assert len(data.train) == 12 and data.train.images.shape == (12, 16, 16, 3)
    assert targets.loc["Male/male_00.jpg", "hair"] == 1 and targets.loc["Male/male_01.jpg", "hair"] == 0.5
    assert targets.loc["Female/female_03.jpg", "eyes"] == 0
    assert targets["male"].sum() == 6 and targets["hair"].notna().sum() == 2 and targets["mouth"].isna().all()
    assert list(data.unlabelled.names) == ["unlabelled/who.png"] and data.unlabelled.targets.isna().all().all()


def test_face_folders_split_by_sex(tmp_path):
    data = load_face_folders(make_folders(tmp_path, n=10), image_size=(8, 8), cache=False, seed=1)
    assert [split.targets["male"].sum() for split in (data.train, data.val, data.test)] == [8, 1, 1]


def test_label_csv_naming_a_missing_file(tmp_path):
    root = make_folders(tmp_path)
    (root / "mouth_female.csv").write_text("file,value\nfemale_00.jpg,1\nnobody.jpg,0\n")
    with pytest.raises(DataError, match=r"mouth_female.csv, line 3: 'nobody.jpg' is not an image in .*Female"):
        load_face_folders(root, cache=False)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "", "dark"])
def test_label_csv_value_outside_unit_interval(tmp_path, value):
    root = make_folders(tmp_path)
    (root / "hair_female.csv").write_text(f"file,value\nfemale_00.jpg,0\nfemale_01.jpg,{value}\n")
    with pytest.raises(
        DataError, match=r"hair_female.csv, line 3 \(female_01.jpg\): value .*expected a number in \[0, 1\]"
    ):
        load_face_folders(root, cache=False)


def test_face_folders_without_female_or_with_a_stray_folder(tmp_path):
    root = make_folders(tmp_path)
    (root / "misc").mkdir()
    with pytest.raises(DataError, match=r"unexpected folders \['misc'\]"):
        load_face_folders(root, cache=False)
    (root / "misc").rmdir()
    (root / "Female").rename(root / "Women")
    with pytest.raises(DataError, match=r"unexpected folders \['Women'\]"):
        load_face_folders(root, cache=False)


def test_the_vanilla_vae_reads_celeba_without_measuring_eyes(tmp_path):
    from cvae_tf.core.config import RunConfig
    from cvae_tf.core.registry import get_family

    config = RunConfig.for_family("vae")
    config.data.format, config.data.source, config.data.image_size = "celeba", str(make_celeba(tmp_path)), [16, 16]
    data = get_family("vae").load_data(config)  # synthetic faces: measuring their eyes would be an error
    assert data.train.images.shape[1:] == (16, 16, 3)


def test_training_batches_are_mirrored_and_shifted_only_when_asked():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (32, 12, 12, 3), dtype=np.uint8)
    targets = pd.DataFrame(np.full((32, 4), 0.5, np.float32), columns=list(faces.TARGETS))
    split = faces.FaceSplit(images, np.arange(32).astype(str), targets, targets)

    def seen(**options):
        batch = next(iter(faces.face_batches(split, 32, False, 0, **options)))
        return np.round(batch["image"].numpy() * 255).astype(np.uint8)

    np.testing.assert_array_equal(seen(), images)
    mirrored = seen(augment=True)
    as_is = np.all(mirrored == images, axis=(1, 2, 3))
    flipped = np.all(mirrored == images[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(as_is | flipped) and as_is.any() and flipped.any()
    shifted = seen(augment=True, shift=2)
    neither = ~np.all(shifted == images, axis=(1, 2, 3)) & ~np.all(shifted == images[:, :, ::-1], axis=(1, 2, 3))
    assert neither.sum() > 16  # 24 of 25 offsets move the face
    with pytest.raises(ValueError, match="shift=-1"):
        faces.face_batches(split, 32, False, 0, augment=True, shift=-1)


def test_condition_noise_blurs_the_training_conditions_within_their_range():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (512, 4, 4, 3), dtype=np.uint8)
    targets = pd.DataFrame(np.full((512, 4), 0.5, np.float32), columns=list(faces.TARGETS))
    split = faces.FaceSplit(images, np.arange(512).astype(str), targets, targets)
    conditions = np.tile(np.array([[0.0, 0.5, 1.0, 0.5]], np.float32), (512, 1))

    def seen(noise):
        batches = faces.face_batches(split, 512, False, 0, conditions, condition_noise=noise)
        return next(iter(batches))["condition"].numpy()

    np.testing.assert_array_equal(seen(0.0), conditions)
    noisy = seen(0.15)
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    assert abs(noisy[:, 1].std() - 0.15) < 0.02  # the middle value: noise unclipped
    assert 0.0 < noisy[:, 0].mean() < 0.1  # the ends: clipped back into range
    with pytest.raises(ValueError, match="condition_noise=-0.1"):
        faces.face_batches(split, 32, False, 0, conditions, condition_noise=-0.1)
