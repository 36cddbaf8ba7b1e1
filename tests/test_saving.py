import json
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import SavedRun, atomic_folder
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


def test_keras_files_reload_in_safe_mode_with_the_same_outputs(tiny_run):
    output, _ = tiny_run
    run = SavedRun.open(output)
    data = inputs()
    decoder = keras.saving.load_model(output / "cvae_decoder_model.keras", safe_mode=True)
    np.testing.assert_allclose(
        decoder({"z": data["z"], "condition": data["condition"]}),
        run.decoder({"z": data["z"], "condition": data["condition"]}),
        rtol=1e-6,
    )
    encoder = keras.saving.load_model(output / "cvae_encoder_model.keras", safe_mode=True)
    first = encoder({"image": data["image"], "condition": data["condition"]})
    second = run.encoder({"image": data["image"], "condition": data["condition"]})
    for key in ("z_mean", "z_log_var"):  # z is a random draw around them
        np.testing.assert_allclose(first[key], second[key], rtol=1e-6)
    full = keras.saving.load_model(output / "cvae_model.keras", safe_mode=True)
    assert full.count_params() == run.model("full").count_params()


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
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as folder:
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
