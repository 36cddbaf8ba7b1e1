"""Fitting the prior to the codes: the latent space re-based on the training images' codes."""

import numpy as np
import pytest
from conftest import tiny_config

from cvae_tf.cli import main
from cvae_tf.core.registry import get_family
from cvae_tf.core.runs import train
from cvae_tf.core.saving import SavedRun
from cvae_tf.families.vae.fit_prior_command import refit_prior
from cvae_tf.families.vae.latent_prior import codes_gaussian, rebase_latent
from cvae_tf.families.vae.models import build_decoder, build_encoder


def _models(condition_size):
    options = dict(
        image_shape=(16, 16, 1), latent_dim=6, filters=(8, 16), dense_units=32, condition_size=condition_size
    )
    return build_encoder(side_branch=False, **options), build_decoder(condition_maps=bool(condition_size), **options)


def _inputs(condition_size, n=400):
    rng = np.random.default_rng(0)
    inputs = {"image": rng.random((n, 16, 16, 1)).astype(np.float32)}
    if condition_size:
        inputs["condition"] = rng.random((n, condition_size)).astype(np.float32)
    return inputs


@pytest.mark.parametrize("condition_size, scale", [(None, 1.0), (3, 1.0), (3, 1.5)])
def test_rebasing_changes_the_coordinates_not_the_pictures(condition_size, scale):
    encoder, decoder = _models(condition_size)
    inputs = _inputs(condition_size)
    conditions = {key: value for key, value in inputs.items() if key == "condition"}
    codes = encoder.predict(inputs, verbose=0)
    mean, covariance = codes_gaussian(codes["z_mean"], codes["z_log_var"])
    z_new = np.random.default_rng(1).standard_normal((len(inputs["image"]), 6)).astype(np.float32)
    values, vectors = np.linalg.eigh(covariance)
    z_old = mean + scale * z_new @ ((vectors * np.sqrt(values)) @ vectors.T)
    drawn_before = decoder.predict({"z": z_old.astype(np.float32), **conditions}, verbose=0)
    reconstructed_before = decoder.predict({"z": codes["z_mean"], **conditions}, verbose=0)

    summary = rebase_latent(encoder, decoder, codes["z_mean"], codes["z_log_var"], scale)

    new_codes = encoder.predict(inputs, verbose=0)
    np.testing.assert_allclose(decoder.predict({"z": z_new, **conditions}, verbose=0), drawn_before, atol=1e-5)
    reconstructed = decoder.predict({"z": new_codes["z_mean"], **conditions}, verbose=0)
    np.testing.assert_allclose(reconstructed, reconstructed_before, atol=1e-5)
    new_mean, new_covariance = codes_gaussian(new_codes["z_mean"], new_codes["z_log_var"])
    np.testing.assert_allclose(new_mean, 0, atol=1e-4)
    np.testing.assert_allclose(new_covariance, np.eye(6) / scale**2, atol=0.05)  # z_log_var to first order
    assert summary["codes"] == 400 and summary["variance_largest"] == pytest.approx(values.max())
    assert summary["scale"] == scale


def test_rebasing_needs_codes_that_span_the_latent_space():
    encoder, decoder = _models(None)
    codes = encoder.predict(_inputs(None, n=5), verbose=0)
    flat = {"z_mean": np.zeros_like(codes["z_mean"]), "z_log_var": np.full_like(codes["z_log_var"], -200.0)}
    with pytest.raises(ValueError, match="singular"):
        rebase_latent(encoder, decoder, flat["z_mean"], flat["z_log_var"])


def test_a_run_trained_with_fit_prior_saves_whitened_codes(tmp_path, sample_data):
    manifest = train(tiny_config(epochs=1, family="conv_vae", fit_prior=True), tmp_path / "run", verbose=0)
    assert manifest["latent_prior"]["codes"] == manifest["data"]["train"]
    run = SavedRun.open(tmp_path / "run")  # safe_mode loading of the rebased models
    assert run.manifest["config"]["training"]["fit_prior"] is True
    generator = run.family.inference(run)
    codes = generator.encode(sample_data.train.images[:2000])
    mean, covariance = codes_gaussian(codes["z_mean"], codes["z_log_var"])
    assert np.abs(mean).max() < 0.15
    assert np.abs(np.diag(covariance) - 1).max() < 0.25


def test_runs_saved_before_fit_prior_read_as_trained_without_it():
    for family in ("conv_vae", "mnist_cvae", "face_cvae"):
        training = get_family(family).saved_settings({"training": {}})["training"]
        assert training["fit_prior"] is False and training["prior_scale"] == 1.0


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"fit_prior": True, "prior_scale": 0.0}, "prior_scale = 0.0; expected a number above 0"),
        ({"fit_prior": False, "prior_scale": 1.5}, "training.fit_prior fits, which is off"),
    ],
)
def test_a_prior_scale_without_a_prior_to_widen_is_a_clear_error(settings, message):
    with pytest.raises(ValueError, match=message):
        get_family("conv_vae").training_config(**settings)


def test_a_finished_run_gets_its_prior_fitted_without_training(tiny_run, tmp_path, sample_data, capsys):
    assert main(["fit-prior", str(tiny_run[0]), "--output", str(tmp_path / "fitted"), "--scale", "1.3"]) == 0
    assert f"the prior fitted to {tiny_run[1]['data']['train']} codes" in capsys.readouterr().out
    before, after = (SavedRun.open(path) for path in (tiny_run[0], tmp_path / "fitted"))
    images, labels = sample_data.test.images[:50], sample_data.test.labels[:50]
    conditions = before.condition.of_images(images, labels)
    reconstructed = [run.family.inference(run).reconstruct(images, conditions) for run in (before, after)]
    np.testing.assert_allclose(reconstructed[1], reconstructed[0], atol=1e-4)
    training = after.manifest["config"]["training"]
    assert training["fit_prior"] is True and training["prior_scale"] == 1.3 == after.manifest["latent_prior"]["scale"]


def test_fit_prior_refuses_a_run_without_a_latent_space_and_a_bad_scale(sample_classifier, tiny_run, tmp_path):
    with pytest.raises(ValueError, match="classify_nums run has no latent prior to fit"):
        refit_prior(sample_classifier[0], tmp_path / "fitted")
    with pytest.raises(ValueError, match="prior_scale = -1.0; expected a number above 0"):
        refit_prior(tiny_run[0], tmp_path / "fitted", scale=-1.0)
    with pytest.raises(ValueError, match="must be a new folder"):
        refit_prior(tiny_run[0], tiny_run[0])
    assert not (tmp_path / "fitted").exists()
