import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from conftest import tiny_config
from helpers import Interrupt

from cvae_tf.core.config import RunConfig
from cvae_tf.core.data import make_dataset
from cvae_tf.core.errors import RunError
from cvae_tf.core.runs import build_trainer, train, work_dir
from cvae_tf.core.saving import SavedRun


def test_loss_falls_and_the_grey_switch_turns_on_in_epoch_two(tiny_run):
    output, manifest = tiny_run
    log = pd.read_csv(output / "training_log.csv")
    assert list(log["epoch"]) == [0, 1]
    assert list(log["grey_on"]) == [0.0, 1.0]
    assert log["mse"].iloc[1] < log["mse"].iloc[0]
    assert log["grey"].iloc[1] < log["grey"].iloc[0]  # the switched-on term pulls pixels off grey
    assert manifest["epochs_completed"] == 2
    assert set(manifest["final_metrics"]) >= {"loss", "mse", "kl", "grey", "val_loss", "val_mse", "val_kl"}


class FirstEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.seen = getattr(self, "seen", [])
        self.seen.append((epoch, float(self.model.sharpness_on.numpy()), int(self.model.optimizer.iterations.numpy())))


def test_an_interrupted_run_resumes_at_the_right_epoch(tmp_path):
    config = tiny_config(epochs=3, lr_schedule="cosine")
    output = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(config, output, verbose=0, callbacks=[Interrupt(epoch=1)])
    assert not output.exists()  # nothing half-written where a reader would look
    assert (work_dir(output) / "backup").exists()
    with pytest.raises(RunError, match="interrupted run"):
        train(config, output, verbose=0)
    wider = tiny_config(epochs=3, lr_schedule="cosine")
    wider.model.dense_units *= 2
    with pytest.raises(RunError, match=r"started with other settings \(model.dense_units: 64 → 128\)"):
        train(wider, output, resume=True, verbose=0)
    probe = FirstEpoch()
    manifest = train(config, output, resume=True, verbose=0, callbacks=[probe])
    steps_per_epoch = int(np.ceil(4050 / config.training.batch_size))
    # resumed at epoch 2 (index 1), grey loss on, optimizer state one epoch in
    assert probe.seen[0] == (1, 1.0, steps_per_epoch)
    assert [epoch for epoch, _, _ in probe.seen] == [1, 2]
    log = pd.read_csv(output / "training_log.csv")
    assert list(log["epoch"]) == [0, 1, 2]
    # the cosine schedule went on from the restored step count, not from zero
    expected = [1e-3 * 0.5 * (1 + np.cos(np.pi * (epoch + 1) / 3)) for epoch in range(3)]
    np.testing.assert_allclose(log["learning_rate"], expected, atol=1e-7)
    assert manifest["epochs_completed"] == 3
    assert not work_dir(output).exists()


def test_a_nan_loss_stops_with_a_clear_error(digits):
    images, labels = digits
    batches = make_dataset(images.astype("float32") / 255, np.eye(11, dtype="float32")[labels], batch_size=8)
    poisoned = batches.map(lambda b: {**b, "image": b["image"] * np.float32("nan")})
    from cvae_tf.core.training import StopOnNaN

    _, trainer = build_trainer(tiny_config())
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, batch 1"):
        trainer.fit(poisoned, epochs=1, verbose=0, callbacks=[StopOnNaN()])


def test_mirrored_strategy_on_two_devices_matches_one_device(digits):
    images, labels = digits
    conditions = np.eye(11, dtype="float32")[labels]
    config = tiny_config()
    batch = next(iter(make_dataset(images, conditions, batch_size=40)))

    def one_step(strategy):
        models, trainer = build_trainer(config, strategy)
        with strategy.scope():  # plain SGD: Adam would hide a gradient scaled by the replica count
            trainer.compile(optimizer=keras.optimizers.SGD(0.01))
        trainer.sharpness_on.assign(1.0)
        dataset = tf.data.Dataset.from_tensors(batch)
        # sampling noise differs per replica, so compare the deterministic path: z = z_mean
        for model in models.values():
            for layer in model.layers:
                if layer.name == "z":
                    layer.call = lambda inputs: inputs[0]
        trainer.fit(dataset, epochs=1, verbose=0)
        return [w.numpy() for w in trainer.encoder.weights]

    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(cpus) == 2
    mirrored = one_step(tf.distribute.MirroredStrategy(cpus))
    single = one_step(tf.distribute.OneDeviceStrategy(cpus[0]))
    for a, b in zip(mirrored, single):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_trained_run_reloads_with_its_fitted_condition_and_draws_alike(tiny_run, sample_data):
    from cvae_tf.families.mnist.condition import WhiteRatioCondition, condition_vectors

    output, _ = tiny_run
    run = SavedRun.open(output)
    assert run.latent_dim == 8
    fitted = WhiteRatioCondition.fit(sample_data.train.images, sample_data.train.labels)
    np.testing.assert_allclose(run.condition.mean, fitted.mean)  # fitted on the training split, saved, reloaded
    np.testing.assert_allclose(run.condition.std, fitted.std)
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    direct = run.decoder({"z": z, "condition": condition_vectors([1, 2, 3, 4], 0.5)}).numpy()[..., 0]
    drawn, _ = run.family.inference(run).generate(4, z=z, digit=[1, 2, 3, 4], white=0.5)
    np.testing.assert_allclose(drawn, direct, atol=1e-6)


def test_the_cli_and_the_server_guess_the_same_class_for_100_test_digits(tiny_run, sample_data):
    from cvae_tf.families.mnist.latent import LatentModel, guess_digits
    from cvae_tf.serve.registry import served

    run = SavedRun.open(tiny_run[0])
    images = sample_data.test.images[:100]
    by_cli = guess_digits(LatentModel.from_run(run), images)
    server = served("digits", run)
    by_server = [server.reconstruct(image / 255.0)["digit"] for image in images]
    np.testing.assert_array_equal(by_cli, by_server)
    assert len(set(by_cli.tolist())) > 1  # real guesses, not one constant answer


def test_the_vanilla_vae_trains_and_saves_with_the_same_machinery(vae_run, tmp_path):
    from cvae_tf.families.mnist.generate import write_test_output

    run = SavedRun.open(vae_run)
    assert run.manifest["models"] == {
        "encoder": "vae_encoder_model",
        "decoder": "vae_decoder_model",
        "full": "vae_model",
    }
    assert run.condition is None and list(run.decoder.input) == ["z"]
    log = pd.read_csv(vae_run / "training_log.csv")
    assert log["mse"].iloc[1] < log["mse"].iloc[0]
    (figure,) = write_test_output(run, tmp_path / "samples.png", per_class=4)
    assert figure.stat().st_size > 1000


def test_a_vae_trains_on_a_folder_of_colour_images(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    faces = tmp_path / "faces"
    faces.mkdir()
    for index in range(40):
        pixels = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(faces / f"face_{index:02d}.png")
    config = tiny_config(epochs=1, family="conv_vae")
    config.data.format, config.data.source = "images", str(faces)
    config.data.image_size, config.data.channels = [16, 16], 3
    config.training.batch_size = 8
    train(config, tmp_path / "run", verbose=0)
    run = SavedRun.open(tmp_path / "run")
    assert run.encoder.input["image"].shape[1:] == (16, 16, 3)
    assert run.decoder({"z": np.zeros((2, 8), "float32")}).shape == (2, 16, 16, 3)
    assert run.manifest["data"]["train"] == 32  # 80% of 40, the default fractions


def test_without_the_grey_loss_validation_scores_mse_plus_kl_only(tmp_path):
    manifest = train(tiny_config(epochs=1, grey_from_epoch=None), tmp_path / "run", verbose=0)
    best = manifest["best_metrics"]
    assert best["val_grey"] > 10.0  # the term is still measured and logged …
    assert best["val_loss"] == pytest.approx(best["val_mse"] + best["val_kl"], rel=1e-5)  # … but not counted


@pytest.mark.parametrize("weight", [0.0, 1.5])
def test_the_kl_weight_of_the_config_scales_the_digit_cvae_objective(tiny_run, weight):
    run = SavedRun.open(tiny_run[0])
    config = RunConfig.from_dict(run.manifest["config"])
    assert config.training.kl_weight == 1.0  # saved runs without the key read the default
    config.set("training.kl_weight", weight)
    trainer = run.family.trainer(config, {"encoder": run.encoder, "decoder": run.decoder})
    terms = {"mse": np.float32([3.0]), "kl": np.float32([5.0]), "grey": np.float32([7.0])}
    expected = 3.0 + weight * 5.0 + config.training.grey_weight * 7.0
    np.testing.assert_allclose(np.asarray(trainer.objective(terms)), [expected], rtol=1e-6)


def test_a_bce_run_trains_logs_and_reloads_under_its_own_term(tmp_path):
    config = tiny_config(epochs=2, reconstruction="bce")
    manifest = train(config, tmp_path / "run", verbose=0)
    log = pd.read_csv(tmp_path / "run" / "training_log.csv")
    assert "mse" not in log and log["bce"].iloc[1] < log["bce"].iloc[0]
    best = manifest["best_metrics"]
    expected = best["val_bce"] + best["val_kl"] + config.training.grey_weight * best["val_grey"]
    assert best["val_loss"] == pytest.approx(expected, rel=1e-5)
    run = SavedRun.open(tmp_path / "run")
    trainer = run.family.trainer(run.family.run_config(run), {"encoder": run.encoder, "decoder": run.decoder})
    assert trainer.reconstruction == "bce"


def test_an_unknown_reconstruction_term_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match=r"training.reconstruction = 'l1'; expected one of \['mse', 'bce'\]"):
        tiny_config().set("training.reconstruction", "l1")


@pytest.mark.parametrize(("minutes", "epochs_run"), [(2.5, 1), (10.0, 5), (100.0, 8)])
def test_the_time_budget_stops_before_an_epoch_that_would_end_past_it(monkeypatch, minutes, epochs_run):
    """A clock that moves one minute per reading: each epoch lasts a minute, a minute passes between epochs."""
    from types import SimpleNamespace

    from cvae_tf.core import training

    readings = iter(range(1000))
    monkeypatch.setattr(training, "time", SimpleNamespace(perf_counter=lambda: 60.0 * next(readings)))
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    data = np.zeros((4, 1), "float32")
    history = model.fit(data, data, epochs=8, verbose=0, callbacks=[training.TimeBudget(minutes)])
    assert len(history.history["loss"]) == epochs_run
    assert history.history["minutes"][0] == 2.0


def test_a_second_training_into_the_same_output_is_refused_while_the_first_runs(tmp_path):
    import socket
    import subprocess
    import sys

    output = tmp_path / "run"
    lock = work_dir(output) / "lock"
    lock.parent.mkdir()
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"{socket.gethostname()} {first.pid}")
        with pytest.raises(RunError, match=rf"a training \(.* {first.pid}\) is writing here"):
            train(tiny_config(epochs=1), output, verbose=0)
        assert lock.exists() and not (work_dir(output) / "backup").exists()
    finally:
        first.kill()
        first.wait()
    manifest = train(tiny_config(epochs=1), output, verbose=0)  # the dead process's lock is taken over
    assert manifest["epochs_completed"] == 1 and not work_dir(output).exists()
