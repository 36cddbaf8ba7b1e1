"""The face families through the runner on a small synthetic CelebA folder: the four condition
models, then the face C-VAE on their predictions, its sharpness switch, a self-contained run
folder, named generation, ``sample`` and ``generate`` (the runs: ``face_runs`` in conftest.py)."""

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.core.saving import SavedRun
from cvae_tf.families.vae.latent_prior import codes_gaussian


def test_the_four_condition_models_train_together_and_reload_under_their_names(face_runs):
    run = SavedRun.open(face_runs / "conditions")
    names = {"classify_male_or_female", "regression_hair_color", "regression_mouth", "regression_eyes"}
    assert set(run.manifest["models"].values()) == names
    assert {"sex_accuracy", "hair_mse", "mouth_mse", "eyes_mse"} <= set(run.manifest["final_metrics"])
    sex = run.model("classify_male_or_female")
    probabilities = sex.predict({"image": np.full((3, 16, 16, 3), 0.5, "float32")}, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_the_face_cvae_switches_sharpness_on_in_epoch_two_and_runs_anywhere(face_runs, tmp_path):
    log = pd.read_csv(face_runs / "faces" / "training_log.csv")
    assert list(log["sharpness_on"]) == [0.0, 1.0]
    assert (log["sharpness"] > 0).all()
    moved = tmp_path / "elsewhere"
    shutil.copytree(face_runs / "faces", moved)
    run = SavedRun.open(moved)
    assert run.condition.kind == "face_attributes" and (moved / "condition_models").is_dir()
    generator = run.family.inference(run)
    images, _ = generator.generate(3, seed=0, male=1.0, hair=0.2, mouth=0.8, eyes=1.0)
    assert images.shape == (3, 16, 16, 3) and 0 <= images.min() and images.max() <= 1
    judged = run.condition.of_images(images)  # the four models read the faces back
    assert judged.shape == (3, 4) and np.all((judged >= 0) & (judged <= 1))
    with pytest.raises(ValueError, match=r"hair = \[1.5\] out of range"):
        generator.generate(1, hair=1.5)


def test_sample_writes_named_requests_covering_both_ends_and_generate_draws_the_grid(face_runs, tmp_path):
    output = tmp_path / "faces.npz"
    assert main(["sample", str(face_runs / "faces"), "--n", "40", "--output", str(output)]) == 0
    samples = np.load(output)
    assert samples["images"].shape == (40, 16, 16, 3) and samples["images"].dtype == np.float32
    for name in ("male", "hair", "mouth", "eyes"):
        assert samples[name].shape == (40,) and {0.0, 1.0} <= set(samples[name].tolist())
    picture = tmp_path / "test_output.png"
    argv = ["generate", str(face_runs / "faces"), "--output", str(picture)]
    assert main([*argv, "--condition", "male=1", "hair=0.2", "mouth=0.8", "eyes=1"]) == 0
    assert Image.open(picture).mode in ("RGB", "RGBA") and Image.open(picture).size[0] > 400
    assert main([*argv, "--condition", "hair=2"]) == 2


def test_evaluate_measures_control_and_quality_of_a_face_run(face_runs, tmp_path):
    import json

    assert main(["evaluate", str(face_runs / "faces"), "--output", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "evaluation.json").read_text())
    control, quality = result["control"], result["quality"]
    assert 0 <= control["sex_obeyed"] <= 1 and 0 <= control["flip_test"] <= 1
    assert set(control["pearson_r"]) == {"hair", "mouth", "eyes"}
    assert quality["sharpness_ratio"] > 0 and quality["frechet"] > 0 and quality["reconstruction_psnr"] > 5
    assert 0 <= quality["grid_share"] <= 1
    assert "| flip test (same z, sex flipped) |" in (tmp_path / "evaluation.md").read_text()


def test_condition_noise_reaches_the_training_batches_only(face_runs):
    from cvae_tf.core.runs import load_run_data, run_config

    run = SavedRun.open(face_runs / "faces")
    config = run_config(run)
    config.training.condition_noise = 0.2
    data = load_run_data(run)
    prepared = run.family.prepare(config, data)
    first = lambda batches: next(iter(batches.unbatch().batch(1000)))  # noqa: E731
    train, val = first(prepared.train), first(prepared.val)
    read = lambda batch: run.condition.of_images(batch["image"].numpy())  # noqa: E731
    np.testing.assert_allclose(val["condition"].numpy(), read(val), atol=1e-5)
    moved = np.abs(train["condition"].numpy() - read(train))
    assert moved.mean() > 0.05 and moved.max() <= 1.0


def test_the_face_cvae_fits_its_prior_to_its_codes_by_default(face_runs):
    run = SavedRun.open(face_runs / "faces")
    assert run.manifest["config"]["training"]["fit_prior"] is True
    assert run.manifest["latent_prior"]["codes"] == run.manifest["data"]["train"]
    generator = run.family.inference(run)
    images = run.family.run_data(run).train.images
    codes = generator.encode(images, run.condition.of_images(images))
    np.testing.assert_allclose(codes["z_mean"].mean(axis=0), 0, atol=1e-4)  # the codes' mean is the new origin
    scale = run.manifest["config"]["training"]["prior_scale"]
    assert scale == run.manifest["latent_prior"]["scale"] > 1  # drawn wider than the codes: they spread 1 / scale
    _, covariance = codes_gaussian(codes["z_mean"], codes["z_log_var"])
    assert np.diag(covariance).mean() == pytest.approx(1 / scale**2, rel=0.1)
