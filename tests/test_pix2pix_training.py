"""pix2pix training: the LSGAN / cross-entropy / L1 losses, alternate updates, resume after interruption,
mixed precision."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import Interrupt

from cvae_tf.families.pix2pix.models import build_discriminator, build_generator
from cvae_tf.families.pix2pix.trainer import (
    Pix2PixTrainer,
    SampleGrid,
    bce_d_loss,
    bce_g_loss,
    l1,
    lsgan_d_loss,
    lsgan_g_loss,
)


def make_trainer(**kwargs):
    keras.utils.set_random_seed(0)
    trainer = Pix2PixTrainer(
        build_generator(base_filters=8, residual_blocks=1), build_discriminator(base_filters=8), **kwargs
    )
    # Eager: tracing the train step would cost more than these few tiny steps.
    trainer.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5), run_eagerly=True)
    return trainer


def batches(count=8, size=32, batch_size=4):
    rng = np.random.default_rng(0)
    data = {
        "sketch": rng.random((count, size, size, 1)).astype("float32"),
        "image": rng.uniform(-1, 1, (count, size, size, 3)).astype("float32"),
    }
    return tf.data.Dataset.from_tensor_slices(data).batch(batch_size)


def test_losses_match_hand_computed_values():
    real = np.array([[0.5, 1.5], [1.0, -1.0]], "float32")
    fake = np.array([[0.2, -0.4], [0.0, 0.6]], "float32")
    expected_d = 0.5 * (np.mean((real - 1) ** 2) + np.mean(fake**2))
    np.testing.assert_allclose(lsgan_d_loss(real, fake), expected_d, rtol=1e-6)
    np.testing.assert_allclose(lsgan_g_loss(fake), np.mean((fake - 1) ** 2), rtol=1e-6)
    np.testing.assert_allclose(l1(real, fake), np.mean(np.abs(real - fake)), rtol=1e-6)
    assert float(lsgan_d_loss(np.ones(3), np.zeros(3))) == 0.0


def test_cross_entropy_losses_match_hand_computed_values_on_logits():
    real = np.array([[0.5, 1.5], [3.0, -1.0]], "float32")
    fake = np.array([[0.2, -0.4], [0.0, 0.6]], "float32")
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    expected_d = 0.5 * (np.mean(-np.log(sigmoid(real))) + np.mean(-np.log(1 - sigmoid(fake))))
    np.testing.assert_allclose(bce_d_loss(real, fake), expected_d, rtol=1e-5)
    np.testing.assert_allclose(bce_g_loss(fake), np.mean(-np.log(sigmoid(fake))), rtol=1e-5)
    assert float(bce_d_loss(np.full(3, 30.0), np.full(3, -30.0))) < 1e-12


def weights(model):
    return [np.array(v) for v in model.trainable_variables]


def changed(before, model):
    return [not np.array_equal(a, b) for a, b in zip(before, weights(model))]


def test_each_step_updates_only_its_own_network():
    trainer = make_trainer()
    data = next(iter(batches()))
    g_before, d_before = weights(trainer.generator), weights(trainer.discriminator)
    trainer.d_step(data["sketch"], data["image"])
    assert not any(changed(g_before, trainer.generator)) and all(changed(d_before, trainer.discriminator))
    d_before = weights(trainer.discriminator)
    trainer.g_step(data["sketch"], data["image"])
    assert all(changed(g_before, trainer.generator)) and not any(changed(d_before, trainer.discriminator))


def test_fit_reports_the_losses_and_evaluate_changes_nothing():
    trainer = make_trainer()
    history = trainer.fit(batches(), validation_data=batches(), epochs=1, verbose=0).history
    for name in ("d_loss", "g_gan", "g_l1", "g_loss", "loss", "val_g_l1", "val_loss"):
        assert np.isfinite(history[name][0]), name
    assert history["loss"] == history["g_l1"]
    np.testing.assert_allclose(history["g_loss"][0], history["g_gan"][0] + 10 * history["g_l1"][0], rtol=1e-5)
    before = weights(trainer)
    trainer.evaluate(batches(), verbose=0)
    assert not any(changed(before, trainer))


def test_l1_only_never_touches_the_discriminator():
    trainer = make_trainer(l1_only=True)
    before = weights(trainer.discriminator)
    history = trainer.fit(batches(), epochs=1, verbose=0).history
    assert not any(changed(before, trainer.discriminator))
    assert history["g_gan"] == [0.0] and history["d_loss"] == [0.0]


def state(trainer):
    """Both networks' weights and both optimizers' variables (step counts, Adam's moments)."""
    return {
        "weights": [np.array(v) for v in trainer.weights],
        "g_optimizer": [np.array(v) for v in trainer.g_optimizer.variables],
        "d_optimizer": [np.array(v) for v in trainer.d_optimizer.variables],
    }


def assert_same_state(actual, expected, **tolerance):
    for part in expected:
        assert len(actual[part]) == len(expected[part]), part
        for a, b in zip(actual[part], expected[part]):
            np.testing.assert_allclose(a, b, err_msg=part, **tolerance)


class KeepEpochEnd(keras.callbacks.Callback):
    """The trainer's state at the end of each epoch, as the backup saves it."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(state(self.model))


def test_backup_and_restore_resumes_both_optimizers(tmp_path):
    backup = tmp_path / "backup"
    never_stopped = make_trainer()
    never_stopped.fit(batches(), epochs=3, verbose=0)

    trainer = make_trainer()
    with pytest.raises(KeyboardInterrupt):  # in epoch 2 (index 1), after its first batch
        trainer.fit(
            batches(), epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt(1, 0)]
        )
    # The backup holds the end of epoch 1; the batch epoch 2 trained before the interrupt is lost.
    resumed = make_trainer()  # a fresh process: new networks, new optimizers
    history = resumed.fit(batches(), epochs=3, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert len(history.history["g_loss"]) == 2  # epochs 2 and 3 only
    assert int(resumed.g_optimizer.iterations) == int(resumed.d_optimizer.iterations) == 3 * 2
    assert_same_state(state(resumed), state(never_stopped), rtol=1e-5, atol=1e-7)


def test_backup_restores_optimizer_moments(tmp_path):
    """What the runner's ``BackupAndRestore`` saved at an epoch's end is what a fresh trainer starts from."""
    backup, ends = tmp_path / "backup", KeepEpochEnd()
    trainer = make_trainer()
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(
            batches(), epochs=2, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup), ends, Interrupt(1, 0)]
        )
    assert len(ends.ends) == 1 and int(trainer.g_optimizer.iterations) == 3  # one batch past the backup
    fresh = make_trainer()
    assert int(fresh.g_optimizer.iterations) == 0
    history = fresh.fit(batches(), epochs=1, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert history.history == {}  # epoch 1 was done: restored, nothing trained
    assert any(np.abs(v).max() > 0 for v in ends.ends[0]["g_optimizer"][2:])  # moments that were learned
    assert_same_state(state(fresh), ends.ends[0], rtol=0, atol=0)


def test_mixed_precision_trains_with_loss_scaling():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        trainer = make_trainer()
        assert isinstance(trainer.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(trainer.d_optimizer, keras.optimizers.LossScaleOptimizer)
        history = trainer.fit(batches(), epochs=1, verbose=0).history
        assert all(np.isfinite(history[name][0]) for name in ("d_loss", "g_loss"))
        assert trainer.generator.trainable_variables[0].dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_sample_grid_writes_one_png_per_epoch(tmp_path):
    from PIL import Image

    data = next(iter(batches(count=3, batch_size=3)))
    trainer = make_trainer()
    grid = SampleGrid(data["sketch"], data["image"], tmp_path / "samples")
    trainer.fit(batches(), epochs=2, verbose=0, callbacks=[grid])
    pictures = sorted((tmp_path / "samples").glob("*.png"))
    assert [p.name for p in pictures] == ["epoch_001.png", "epoch_002.png"]
    assert Image.open(pictures[0]).size == (3 * 32, 3 * 32)
