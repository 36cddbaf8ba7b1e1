"""The eyes target from landmarks, on scikit-image's bundled astronaut photograph (a real face)."""

import numpy as np
import pytest
from helpers import make_celeba
from PIL import Image
from skimage import data as skimage_data

from cvae_tf.core.errors import DataError
from cvae_tf.families.faces import data as faces
from cvae_tf.families.faces.landmarks import GAP_CLOSED, GAP_OPEN, NOSE, eye_openness, face_landmarks, lid_gaps

EYE_BOXES = [(191, 94, 217, 109), (234, 97, 260, 112)]  # (left, top, right, bottom) around her eyes


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """The astronaut, her mirror image, the same with the eyes painted over with skin, and no face."""
    folder = tmp_path_factory.mktemp("photos")
    face = skimage_data.astronaut()
    closed = face.copy()
    for left, top, right, bottom in EYE_BOXES:
        closed[top:bottom, left:right] = face[bottom + 6 : bottom + 12, left:right].reshape(-1, 3).mean(axis=0)
    noise = np.random.default_rng(0).integers(0, 255, (218, 178, 3), dtype=np.uint8)
    images = {"open": face, "mirrored": face[:, ::-1], "closed": closed, "no_face": noise}
    for name, image in images.items():
        Image.fromarray(image).save(folder / f"{name}.png")
    return {name: folder / f"{name}.png" for name in images}


def test_open_eyes_read_open_and_painted_out_eyes_read_closed(photos):
    points = face_landmarks([photos["open"], photos["mirrored"], photos["closed"]])
    assert points.shape == (3, 68, 2) and points.dtype == np.float32
    gaps = lid_gaps(points)
    assert np.all((gaps[0] > 0.12) & (gaps[0] < 0.24))
    assert abs(gaps[1].mean() - gaps[0].mean()) < 0.02  # her mirror image's eyes are as open
    assert np.all(gaps[2] < 0.6 * gaps[0])
    openness = eye_openness(points)
    assert openness[0] > 0.5 and openness[2] < 0.1


def test_no_face_is_nan(photos):
    assert np.isnan(face_landmarks([photos["no_face"]])).all()


def face_with_gap(gap: float, nose: float = 40.0) -> np.ndarray:
    """68 landmarks at the origin except the nose (length ``nose``) and lids ``gap × nose`` apart."""
    points = np.zeros((68, 2), np.float32)
    points[NOSE[1]] = (0, nose)
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        points[upper], points[lower] = (upper, 0), (upper, gap * nose)
    return points


def test_openness_is_the_lid_gap_over_the_nose_mapped_to_zero_and_one_and_clipped():
    points = np.stack([face_with_gap(g) for g in (GAP_CLOSED, GAP_OPEN, 0.0, 0.5, 0.15)])
    points[-1] *= 3  # the same face three times larger measures the same
    points = np.concatenate([points, np.full((1, 68, 2), np.nan, np.float32)])
    np.testing.assert_allclose(lid_gaps(points)[:-1, 0], [GAP_CLOSED, GAP_OPEN, 0.0, 0.5, 0.15], rtol=1e-5)
    np.testing.assert_allclose(eye_openness(points), [0, 1, 0, 1, 0.5, np.nan], atol=1e-5)


def test_the_measures_are_cached(photos, tmp_path, monkeypatch):
    files = [photos["open"], photos["no_face"]]
    first = faces.read_eye_openness(files, cache=tmp_path)

    def fail(*args):
        raise AssertionError("measured again despite the cache")

    monkeypatch.setattr("cvae_tf.families.faces.landmarks.face_landmarks", fail)
    np.testing.assert_array_equal(faces.read_eye_openness(files, cache=tmp_path), first)
    assert first[0] > 0.5 and np.isnan(first[1])


def test_celeba_without_a_face_to_measure_says_which_setting_to_change(tmp_path):
    with pytest.raises(DataError, match=r"found no face in any of the 20 images.*data.eyes=narrow_eyes"):
        faces.load_celeba(make_celeba(tmp_path), image_size=(16, 16), cache=False)
