"""pix2pix evaluation (L1 / PSNR / SSIM / Fréchet / sharpness / fixed pattern against baselines, on
each input kind) and the sketch-like augmentation, on the session's tiny run trained on synthetic pairs."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from cvae_tf.core.metrics import laplacian_variance
from cvae_tf.families.pix2pix.evaluate import (
    fixed_pattern,
    frechet_distance,
    judged_inputs,
    kind_label,
    picture_metrics,
    projection_features,
)
from cvae_tf.families.pix2pix.family import PairData, PairSplit
from cvae_tf.families.pix2pix.pairs import pair_dataset, sketch_variants


@pytest.fixture(scope="module")
def runs(sketch_run, tmp_path_factory):
    """The session's pix2pix run (six test pairs), and a copy of it as a stand-in baseline."""
    baseline = tmp_path_factory.mktemp("baseline") / "l1_only"
    shutil.copytree(sketch_run, baseline)
    return sketch_run, baseline


def test_evaluate_cli_scores_the_run_and_its_baselines_on_edges_and_sketches(runs, tmp_path):
    from cvae_tf.cli import main

    gan, l1_only = runs
    assert main(["evaluate", str(gan), "--baseline", str(l1_only), "--output", str(tmp_path), "--samples", "3"]) == 0
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert set(report["metrics"]) == {"sketch2photo", "l1_only", "mean training picture"}
    for by_kind in report["metrics"].values():
        assert set(by_kind) == {"edges", "sketch"}
        assert set(by_kind["edges"]) == {
            "l1", "psnr", "ssim", "frechet", "sharpness", "grid_share", "fixed_pattern", "fixed_pattern_cell"
        }  # fmt: skip
    assert report["labels"] == {"edges": "the run's inputs", "sketch": "the run's inputs, hand-drawn-like"}
    assert report["summary"]["test_pairs"] == 6 and report["summary"]["image_size"] == 32
    assert "| l1_only | the run's inputs, hand-drawn-like |" in (tmp_path / "evaluation.md").read_text()
    grid = Image.open(tmp_path / "evaluation.png")
    assert grid.size == (7 * 32 + 6 * 4, 3 * 32 + 2 * 4)  # edges, run, baseline, sketch, run, baseline, target
    assert report["grid_columns"][-1] == "target" and report["grid_columns"][3] == "the run's inputs, hand-drawn-like"


def test_metrics_are_zero_distance_for_identical_pictures_and_grow_with_a_shift():
    rng = np.random.default_rng(0)
    pictures = rng.random((40, 16, 16, 3)).astype(np.float32)
    same = picture_metrics(pictures, pictures)
    assert same["l1"] == 0 and same["ssim"] == pytest.approx(1.0, abs=1e-4) and abs(same["frechet"]) < 1e-6
    darker = picture_metrics(pictures * 0.5, pictures)
    assert darker["l1"] > 0.2 and darker["frechet"] > 1 and darker["ssim"] < 1
    features = projection_features(pictures)
    assert features.shape == (40, 64)
    assert frechet_distance(features, features + 1.0) == pytest.approx(64.0, rel=1e-6)


def test_sharpness_is_one_for_real_pictures_below_for_blurred_and_above_for_noisy():
    from scipy import ndimage

    pictures = np.random.default_rng(5).random((6, 32, 32, 3)).astype(np.float32)
    pictures = ndimage.gaussian_filter(pictures, (0, 1, 1, 0))  # some structure, not white noise
    blurred = ndimage.gaussian_filter(pictures, (0, 2, 2, 0))
    noisy = pictures + np.random.default_rng(6).normal(0, 0.1, pictures.shape)
    assert picture_metrics(pictures, pictures)["sharpness"] == pytest.approx(1.0)
    energy = lambda p: laplacian_variance(p).mean()  # noqa: E731
    assert energy(blurred) < 0.3 * energy(pictures) < 0.3 * energy(noisy)


def test_grid_share_counts_the_outputs_that_carry_a_checkerboard():
    from scipy import ndimage

    rng = np.random.default_rng(3)
    targets = ndimage.gaussian_filter(rng.random((100, 32, 32, 3)), (0, 1, 1, 0)).astype(np.float32)
    outputs = targets[rng.permutation(100)].copy()
    assert picture_metrics(outputs, targets)["grid_share"] <= 0.05
    outputs[:30] += 0.02 * (np.indices((32, 32)).sum(0) % 2)[None, :, :, None]  # a faint period-2 grid on 30
    assert picture_metrics(outputs, targets)["grid_share"] == pytest.approx(0.3, abs=0.03)


def test_fixed_pattern_finds_a_blotch_planted_at_the_same_place_whatever_the_input():
    rng = np.random.default_rng(7)
    targets = rng.random((50, 64, 64, 3)).astype(np.float32)
    outputs = targets[rng.permutation(50)]  # other pictures: their detail averages out
    clean, _ = fixed_pattern(outputs, targets)
    blotched = outputs.copy()
    blotched[:, 0:8, 40:48] = 1.0  # one 8×8 white mark in every output, in cell (0, 5)
    gap, cell = fixed_pattern(blotched, targets)
    assert clean < 0.05 and gap > 0.4 and cell == [0, 5]


def test_an_edge_trained_run_is_also_judged_on_the_other_detectors_edges():
    photos = np.full((3, 64, 64, 3), 200, np.uint8)
    photos[:, 16:48, 20:44] = 40  # a dark window: Canny draws its outline
    own = np.full((3, 64, 64), 255, np.uint8)
    split = PairSplit(own, photos)
    kinds = judged_inputs(PairData(split, split, split, "synthetic"), edges="hed")
    assert list(kinds) == ["edges", "sketch", "canny", "canny_sketch"]
    assert all(k.shape == (3, 64, 64) and k.dtype == np.uint8 for k in kinds.values())
    assert (kinds["canny"][:, 16:48, 20:44] == 0).sum() >= 3 * 60 and (kinds["canny"][:, :10, :10] == 255).all()
    assert not np.array_equal(kinds["canny"], kinds["canny_sketch"])
    assert (
        kind_label("canny_sketch", "hed") == "Canny edges, hand-drawn-like"
        and kind_label("edges", "hed") == "HED edges"
    )
    assert list(judged_inputs(PairData(split, split, split, "synthetic"), edges="none")) == ["edges", "sketch"]


def test_sketch_variants_are_seeded_drawings_of_the_same_strokes():
    sketch = np.full((1, 64, 64), 255, np.uint8)
    sketch[0, 10:50, 20] = 0
    sketch[0, 30, 10:55] = 0
    first, again = sketch_variants(sketch, 2, seed=3), sketch_variants(sketch, 2, seed=3)
    assert first.shape == (1, 2, 64, 64) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first[0, 0], first[0, 1])
    assert set(np.unique(first)) <= {0, 255} and (first == 0).sum() > 40


def test_the_augmented_pipeline_swaps_inputs_for_their_alternates():
    sketches = np.full((4, 16, 16), 255, np.uint8)
    alternates = np.zeros((4, 1, 16, 16), np.uint8)
    targets = np.zeros((4, 16, 16, 3), np.uint8)
    always = next(iter(pair_dataset(sketches, targets, 4, 16, True, 0, alternates, swap_rate=1.0)))
    never = next(iter(pair_dataset(sketches, targets, 4, 16, True, 0, alternates, swap_rate=0.0)))
    assert float(always["sketch"].numpy().max()) == 0.0 and float(never["sketch"].numpy().min()) == 1.0
