"""pix2pix evaluation (L1 / PSNR / SSIM / Fréchet against baselines, edge and sketch-like inputs)
and the sketch-like augmentation, on the session's tiny run trained on synthetic pairs."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from cvae_tf.families.pix2pix.evaluate import frechet_distance, picture_metrics, projection_features
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
        assert set(by_kind["edges"]) == {"l1", "psnr", "ssim", "frechet"}
    assert report["summary"]["test_pairs"] == 6 and report["summary"]["image_size"] == 32
    assert "| l1_only | sketch-like" in (tmp_path / "evaluation.md").read_text()
    grid = Image.open(tmp_path / "evaluation.png")
    assert grid.size == (7 * 32 + 6 * 4, 3 * 32 + 2 * 4)  # edges, run, baseline, sketch, run, baseline, target
    assert report["grid_columns"][-1] == "target" and report["grid_columns"][3] == "sketch-like"


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
