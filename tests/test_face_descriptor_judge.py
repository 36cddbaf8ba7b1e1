"""The descriptor judge on faces the test makes: scikit-image's astronaut (a real face) and synthetic discs."""

import argparse
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import face, make_celeba
from PIL import Image
from skimage import data as skimage_data

from cvae_tf.core.errors import DataError
from cvae_tf.families.faces import descriptor_judge as dj
from cvae_tf.families.faces.evaluate import add_arguments, markdown


def astronaut(size=64) -> np.ndarray:
    """Her face, cropped square around it as CelebA's crops are, at ``size`` pixels, uint8."""
    return np.asarray(Image.fromarray(skimage_data.astronaut()).crop((150, 30, 310, 190)).resize((size, size)))


@pytest.fixture(scope="module")
def faces():
    """Six men (blue discs) and six women (red discs), 64×64 uint8, and their labels."""
    images = np.stack([np.asarray(face((64, 64), i % 2 == 0, i)) for i in range(12)])
    return images, (np.arange(12) % 2 == 0).astype(int)


@pytest.fixture(scope="module")
def descriptors(faces):
    return dj.face_descriptors(faces[0])


@pytest.fixture(scope="module")
def judge(faces, descriptors):
    judge = dj.DescriptorJudge.fit_descriptors(descriptors, faces[1], C=1.0, settings=dj.SETTINGS)
    judge.holdout_accuracy = judge.accuracy(descriptors, faces[1])
    return judge


def test_descriptors_are_128_floats_and_deterministic_for_uint8_and_float_images():
    image = astronaut()
    first = dj.face_descriptors(image[None])
    assert first.shape == (1, 128) and first.dtype == np.float32
    np.testing.assert_array_equal(dj.face_descriptors(image[None]), first)
    np.testing.assert_allclose(dj.face_descriptors(image[None] / 255.0), first, atol=1e-6)
    assert 0.5 < np.linalg.norm(first) < 2.0  # dlib's descriptors are about unit length
    assert dj.face_descriptors(np.zeros((0, 64, 64, 3), np.uint8)).shape == (0, 128)
    with pytest.raises(ValueError, match=r"expected \(N, H, W, 3\)"):
        dj.face_descriptors(image[..., 0])


def test_the_probe_reloads_to_the_same_verdicts(judge, faces, descriptors, tmp_path):
    images, male = faces
    p_male = judge.male_of_descriptors(descriptors)
    assert p_male.shape == (12,) and np.all((p_male >= 0) & (p_male <= 1))
    assert p_male[male == 1].mean() > p_male[male == 0].mean()
    np.testing.assert_array_equal(judge.p_male(images[:4]), p_male[:4])
    judge.save(tmp_path / "judge")
    assert sorted(p.name for p in (tmp_path / "judge").iterdir()) == [dj.JUDGE_FILE, dj.PROBE_FILE]
    assert not list(tmp_path.glob(".judge*"))  # no temporary folder left beside it
    loaded = dj.DescriptorJudge.load(tmp_path / "judge")
    np.testing.assert_array_equal(loaded.p_male(images[:4]), p_male[:4])
    assert loaded.settings == judge.settings and loaded.holdout_accuracy == judge.holdout_accuracy
    record = json.loads((tmp_path / "judge" / dj.JUDGE_FILE).read_text())
    assert record["settings"]["box"] == list(dj.BOX) and record["info"]["n_train"] == 12


def test_the_numpy_probe_is_scikit_learns_logistic_regression(descriptors):
    descriptors = descriptors[:4]
    male = np.array([1, 0, 1, 0])
    judge = dj.DescriptorJudge.fit_descriptors(descriptors, male, C=0.5)
    standardised = (descriptors - descriptors.mean(0)) / (descriptors.std(0) + 1e-8)
    expected = dj.LogisticRegression(C=0.5, max_iter=2000).fit(standardised, male).predict_proba(standardised)[:, 1]
    np.testing.assert_allclose(judge.male_of_descriptors(descriptors), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="of both sexes"):
        dj.DescriptorJudge.fit_descriptors(descriptors, [1, 1, 1, 1])


def test_a_missing_or_broken_judge_folder_names_the_path(judge, tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'nowhere'}: no {dj.JUDGE_FILE}"):
        dj.DescriptorJudge.load(tmp_path / "nowhere")
    folder = judge.save(tmp_path / "judge")
    probe = (folder / dj.PROBE_FILE).read_bytes()
    (folder / dj.PROBE_FILE).write_bytes(probe[: len(probe) // 2])
    with pytest.raises(DataError, match=f"{folder / dj.PROBE_FILE}: unreadable"):
        dj.DescriptorJudge.load(folder)
    (folder / dj.JUDGE_FILE).write_text('{"format": 1, "settin')
    with pytest.raises(DataError, match=f"{folder / dj.JUDGE_FILE}: not a descriptor judge record"):
        dj.DescriptorJudge.load(folder)
    (folder / dj.PROBE_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=f"no {dj.PROBE_FILE}"):
        dj.DescriptorJudge.load(folder)


def test_the_frechet_distance_of_a_set_with_itself_is_zero_and_grows_for_another(faces):
    images = faces[0][:4]
    same = dj.frechet(images, images)
    assert same == pytest.approx(0.0, abs=1e-3)
    other = np.stack([astronaut(), astronaut()[:, ::-1], *images[:2]])
    assert dj.frechet(images, other) > same + 0.01


class FakeGenerator:
    """The astronaut for men, a red disc for women: a conditional generator whose sex is obvious."""

    conditional, latent_dim = True, 2
    condition = SimpleNamespace(of_images=lambda images: None)

    def reconstruct(self, images, conditions=None):
        return images  # a decoder that keeps every face it is shown

    def generate(self, n, seed=0, z=None, male=0.0, **values):
        male = np.broadcast_to(np.asarray(male, np.float32), (n,))
        women = np.asarray(face((64, 64), False, 0), np.float32) / 255.0
        return np.stack([astronaut() / 255.0 if m > 0.5 else women for m in male]), np.zeros((n, 2))


def test_the_verdict_reads_requested_sex_spread_and_frechet_and_the_report_shows_it(tmp_path):
    men, women = astronaut(), np.asarray(face((64, 64), False, 0))
    judge = dj.DescriptorJudge.fit(np.stack([men, women] * 2), [1, 0] * 2)
    images = np.stack([men, women, men[:, ::-1], np.asarray(face((64, 64), False, 1))])
    family = SimpleNamespace(
        inference=lambda run: FakeGenerator(),
        sample_request=lambda n, seed=0: (
            n,
            {k: np.full(n, 0.5, np.float32) for k in ("male", "hair", "mouth", "eyes")},
        ),
    )
    reference = SimpleNamespace(images=images, targets=pd.DataFrame({"male": [1.0, 0.0] * 2}))
    run = SimpleNamespace(family=family)
    verdict = dj.descriptor_verdict(run, judge, n=4, reference=reference, requests=2, per_request=2)
    assert verdict["sex_obeyed"] == 1.0 and verdict["flip_test"] == 1.0
    assert verdict["p_male_requested_men"] > 0.5 > verdict["p_male_requested_women"]
    within = verdict["within_request"]
    assert within["sample_spread"] == pytest.approx(0.0, abs=1e-6)  # one face per request
    assert within["spread_over_real_same_sex"] == pytest.approx(0.0, abs=1e-6)
    assert within["real_spread"] > 0.1 and len(within["labels"]) == 2
    assert within["reconstructions_over_real_same_sex"] == pytest.approx(1.0, abs=0.02)
    assert verdict["frechet"] >= 0 and verdict["frechet_real_vs_real"] >= 0
    result = {
        "run": "r",
        "family": "face_cvae",
        "quality": {
            "sharpness_ratio": 1,
            "grid_share": 0.01,
            "frechet": 1,
            "frechet_real_vs_real": 1,
            "diversity_ratio": 1,
            "reconstruction_psnr": 20,
        },
        "control": {"sex_obeyed": 0.9, "flip_test": 0.8, "pearson_r": {}},
        "descriptor_judge": verdict,
    }
    text = markdown(result)
    assert "| requested sex obeyed (extreme requests) | 100.0% | 90.0% |" in text
    assert "Fréchet distance (descriptors)" in text
    assert "(the decoder's ceiling) | 100.0% |" in text
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert str(parser.parse_args(["--descriptor-judge", "runs/j"]).descriptor_judge) == "runs/j"


def test_a_judge_is_fitted_on_a_celeba_folder_scored_on_its_test_faces_and_saved(tmp_path):
    folder = make_celeba(tmp_path / "celeba", n=20)
    judge = dj.fit_descriptor_judge(folder, tmp_path / "judge", n=10)
    assert judge.info["n_train"] == 10 and judge.info["n_test"] == 2 and 0 <= judge.holdout_accuracy <= 1
    assert judge.info["seconds_per_100"] > 0
    loaded = dj.DescriptorJudge.load(tmp_path / "judge")
    assert loaded.holdout_accuracy == judge.holdout_accuracy and loaded.info == judge.info
