import json
import subprocess

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import SavedRun, atomic_folder, write_run
from cvae_tf.families.mnist.condition import condition_vectors

NAMES = ("cvae_encoder_model", "cvae_decoder_model", "cvae_model")


def inputs(latent_dim=8, n=6, seed=0):
    rng = np.random.default_rng(seed)
    conditions = condition_vectors(np.arange(n) % 10, np.linspace(-1, 1, n))
    return {
        "image": rng.random((n, 28, 28, 1)).astype("float32"),
        "condition": conditions,
        "z": rng.normal(size=(n, latent_dim)).astype("float32"),
    }


def test_run_folder_layout_and_manifest(tiny_run):
    output, _ = tiny_run
    for name in NAMES:
        assert (output / f"{name}.keras").is_file()
        assert (output / name / "saved_model.pb").is_file()
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["models"] == dict(zip(("encoder", "decoder", "full"), NAMES))
    assert manifest["config"]["model"]["latent_dim"] == 8
    assert {"keras", "tensorflow", "numpy", "cvae_tf"} <= set(manifest["versions"])
    assert len(json.loads((output / "conditions.json").read_text())["mean"]) == 10
    assert list((output / "tensorboard").rglob("events.out.tfevents*"))
    assert not list(output.parent.glob(".tiny.tmp-*"))


class WorstLastEpoch(keras.callbacks.Callback):
    """Zeroes every trainable weight just before the last epoch's validation, so that epoch scores
    worst and the runner has to save an earlier one; keeps the weights each epoch was validated with."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs, self.validated = epochs, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_test_begin(self, logs=None):
        if self.epoch == self.epochs - 1:
            for variable in self.model.trainable_variables:
                variable.assign(np.zeros(variable.shape, variable.dtype))
        self.validated.append({id(v): np.array(v) for v in self.model.trainable_variables})


@pytest.fixture(scope="module")
def best_not_last(tmp_path_factory):
    """A two-epoch run whose second epoch is made the worst, with the models the runner held in memory
    when it saved them (caught at ``write_run``) and the weights each epoch was validated with."""
    from conftest import tiny_config

    from cvae_tf.core import runs

    saved = {}

    def keep(output_dir, models, *args, **kwargs):
        saved.update(models)
        return write_run(output_dir, models, *args, **kwargs)

    worst = WorstLastEpoch(epochs=2)
    output = tmp_path_factory.mktemp("best") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "write_run", keep)
        manifest = runs.train(tiny_config(epochs=2), output, verbose=0, callbacks=[worst])
    return output, manifest, saved, worst.validated


def test_the_saved_weights_are_the_best_epochs(best_not_last):
    output, manifest, saved, validated = best_not_last
    log = pd.read_csv(output / "training_log.csv")
    assert len(validated) == 2 and log["val_loss"].iloc[1] > log["val_loss"].iloc[0]
    assert manifest["best_epoch"] == int(log["val_loss"].idxmin()) + 1 == 1 and manifest["epochs_completed"] == 2
    best = validated[manifest["best_epoch"] - 1]
    for role, model in saved.items():
        reloaded = keras.saving.load_model(output / f"{model.name}.keras", safe_mode=True)
        for variable, loaded in zip(model.trainable_variables, reloaded.trainable_variables, strict=True):
            np.testing.assert_array_equal(np.array(variable), best[id(variable)], err_msg=role)
            np.testing.assert_array_equal(np.array(loaded), best[id(variable)], err_msg=role)


def seeds(model):
    """The full model's sampler state: the noise its next call draws."""
    return [v for v in model.non_trainable_variables if "seed_generator_state" in v.name]


def test_keras_files_reload_in_safe_mode_with_the_same_outputs(best_not_last):
    """Both saved formats against the models the runner trained, on the same inputs."""
    output, _, saved, _ = best_not_last
    data = inputs()
    latent = {"z": data["z"], "condition": data["condition"]}
    pictures = {"image": data["image"], "condition": data["condition"]}
    encoder, decoder, full = saved["encoder"], saved["decoder"], saved["full"]
    keras_file = {name: keras.saving.load_model(output / f"{name}.keras", safe_mode=True) for name in NAMES}
    exported = {name: tf.saved_model.load(str(output / name)).signatures["serving_default"] for name in NAMES}
    state = [np.array(v) for v in seeds(full)]  # as saved: the encoder shares the sampler and moves it on

    expected = np.array(decoder(latent))
    np.testing.assert_allclose(keras_file["cvae_decoder_model"](latent), expected, rtol=1e-6, atol=1e-7)
    served = exported["cvae_decoder_model"](**{k: tf.constant(v) for k, v in latent.items()})["output_0"]
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)

    expected = {key: np.array(value) for key, value in encoder(pictures).items()}
    from_file = keras_file["cvae_encoder_model"](pictures)
    served = exported["cvae_encoder_model"](**{k: tf.constant(v) for k, v in pictures.items()})
    for key in ("z_mean", "z_log_var"):  # z is a random draw around them
        assert np.ptp(expected[key]) > 0, key  # trained weights, not zeros
        np.testing.assert_allclose(from_file[key], expected[key], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(served[key], expected[key], rtol=1e-5, atol=1e-6)

    # The full model samples z. Every copy starts each call from the trained model's seed state, so all
    # three draw the same noise; the SavedModel keeps that state, a .keras file starts from a fresh one.
    exported_model = tf.saved_model.load(str(output / "cvae_model"))
    assert state and len(seeds(exported_model)) == len(state)
    for variable, value in zip(seeds(exported_model), state, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)

    def from_saved_state(copy):
        for variable, value in zip(seeds(copy), state, strict=True):
            variable.assign(value)
        return np.array(copy(pictures))

    expected = from_saved_state(full)
    np.testing.assert_array_equal(from_saved_state(full), expected)  # the same state draws the same noise
    assert not np.array_equal(full(pictures), expected)  # and the next state other noise
    np.testing.assert_allclose(from_saved_state(keras_file["cvae_model"]), expected, rtol=1e-5, atol=1e-6)
    served = exported_model.signatures["serving_default"](**{k: tf.constant(v) for k, v in pictures.items()})
    np.testing.assert_allclose(served["output_0"], expected, rtol=1e-5, atol=1e-6)


def test_saved_models_serve_the_same_outputs_under_named_signatures(tiny_run):
    output, _ = tiny_run
    run = SavedRun.open(output)
    data = inputs()
    decoder = tf.saved_model.load(str(output / "cvae_decoder_model"))
    serve = decoder.signatures["serving_default"]
    specs = serve.structured_input_signature[1]
    assert {k: (v.dtype, tuple(v.shape)) for k, v in specs.items()} == {
        "z": (tf.float32, (None, 8)),
        "condition": (tf.float32, (None, 11)),
    }
    served = serve(z=tf.constant(data["z"]), condition=tf.constant(data["condition"]))["output_0"]
    np.testing.assert_allclose(
        served, run.decoder({"z": data["z"], "condition": data["condition"]}), rtol=1e-5, atol=1e-6
    )
    encoder = tf.saved_model.load(str(output / "cvae_encoder_model")).signatures["serving_default"]
    encoded = encoder(image=tf.constant(data["image"]), condition=tf.constant(data["condition"]))
    expected = run.encoder({"image": data["image"], "condition": data["condition"]})
    assert set(encoded) == {"z_mean", "z_log_var", "z"}
    np.testing.assert_allclose(encoded["z_mean"], expected["z_mean"], rtol=1e-5, atol=1e-6)
    full = tf.saved_model.load(str(output / "cvae_model")).signatures["serving_default"]
    assert full(image=tf.constant(data["image"]), condition=tf.constant(data["condition"]))["output_0"].shape == (
        6,
        28,
        28,
        1,
    )


def test_saved_model_cli_reads_the_export(tiny_run):
    output, _ = tiny_run
    shown = subprocess.run(
        ["saved_model_cli", "show", "--all", "--dir", str(output / "cvae_decoder_model")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "serving_default" in shown and "inputs['z']" in shown and "inputs['condition']" in shown


def test_atomic_folder_keeps_the_old_run_when_writing_fails(tmp_path):
    target = tmp_path / "run"
    with atomic_folder(target) as folder:
        (folder / "model.keras").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(target) as folder:
        (folder / "model.keras").write_text("half")
        raise RuntimeError("crash while saving")
    assert (target / "model.keras").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    with atomic_folder(target) as folder:
        (folder / "model.keras").write_text("new")
    assert (target / "model.keras").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_opening_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(RunError, match="not a saved run"):
        SavedRun.open(tmp_path)
