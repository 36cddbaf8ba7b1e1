"""The eyes target from landmarks, on scikit-image's bundled astronaut photograph (a real face)."""

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

from cvae_tf.data import faces
from cvae_tf.data.landmarks import EAR_CLOSED, EAR_OPEN, eye_aspect_ratios, eye_openness
from cvae_tf.errors import DataError
from test_data_faces import make_celeba

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
    ratios = eye_aspect_ratios([photos["open"], photos["mirrored"], photos["closed"]])
    assert ratios.shape == (3, 2) and ratios.dtype == np.float32
    assert np.all((ratios[0] > 0.25) & (ratios[0] < 0.45))
    assert abs(ratios[1].mean() - ratios[0].mean()) < 0.03  # her mirror image's eyes are as open
    assert np.all(ratios[2] < 0.6 * ratios[0])
    openness = eye_openness(ratios)
    assert openness[0] > 0.5 > 0.1 > openness[2]


def test_no_face_is_nan(photos):
    assert np.isnan(eye_aspect_ratios([photos["no_face"]])).all()


def test_openness_maps_the_two_ratios_to_zero_and_one_and_clips():
    ratios = np.array([[EAR_CLOSED, EAR_CLOSED], [EAR_OPEN, EAR_OPEN], [0.0, 0.1], [0.9, 0.8], [np.nan, np.nan]])
    np.testing.assert_allclose(eye_openness(ratios), [0, 1, 0, 1, np.nan], atol=1e-6)


def test_the_measures_are_cached(photos, tmp_path, monkeypatch):
    files = [photos["open"], photos["no_face"]]
    first = faces.read_eye_openness(files, cache=tmp_path)

    def fail(*args):
        raise AssertionError("measured again despite the cache")

    monkeypatch.setattr("cvae_tf.data.landmarks.eye_aspect_ratios", fail)
    np.testing.assert_array_equal(faces.read_eye_openness(files, cache=tmp_path), first)
    assert first[0] > 0.5 and np.isnan(first[1])


def test_celeba_without_a_face_to_measure_says_which_setting_to_change(tmp_path):
    with pytest.raises(DataError, match=r"found no face in any of the 20 images.*data.eyes=narrow_eyes"):
        faces.load_celeba(make_celeba(tmp_path), image_size=(16, 16), cache=False)
