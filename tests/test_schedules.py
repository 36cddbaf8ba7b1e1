"""The opt-in schedules: step budgets, size-based defaults, and the k / β ramps."""

import keras
import pytest

from cvae_tf import schedules


def test_a_step_budget_becomes_enough_epochs():
    assert schedules.epochs_for_steps(4050, 32, 3750) == 30  # 127 steps per epoch
    assert schedules.epochs_for_steps(54000, 256, 100, min_epochs=3) == 3


def test_size_defaults_give_the_sample_more_smaller_steps():
    assert schedules.size_defaults(4050) == (32, 30)
    assert schedules.size_defaults(54000) == (256, 10)
    assert schedules.size_defaults(4050, batch_size=64, epochs=5) == (64, 5)


@pytest.mark.parametrize(("step", "expected"), [(0, 0.0), (100, 0.0), (150, 0.125), (300, 0.5), (10_000, 0.5)])
def test_ramp(step, expected):
    assert schedules.ramp(step, start=100, length=200, high=0.5) == pytest.approx(expected)


class _Trainer:
    """Just what the callbacks touch: the optimizer's step count and the scheduled variables."""

    def __init__(self, step):
        self.optimizer = type("Optimizer", (), {"iterations": keras.Variable(step, dtype="int64")})()
        self.sharpness_on = keras.Variable(0.0)
        self.kl_weight = keras.Variable(1.0)


def test_callbacks_set_their_variable_from_the_optimizer_step():
    trainer = _Trainer(step=150)
    grey, kl = schedules.GreyWeightRamp(start=100, length=100), schedules.KLWarmup(length=300, beta=2.0)
    for callback in (grey, kl):
        callback.set_model(trainer)
        callback.on_train_batch_begin(0)
    assert float(trainer.sharpness_on.numpy()) == pytest.approx(0.5)
    assert float(trainer.kl_weight.numpy()) == pytest.approx(1.0)
    logs = {}
    grey.on_epoch_end(0, logs)
    assert logs == {"sharpness_on": pytest.approx(0.5)}


def test_scaled_condition_saves_the_scaled_spread():
    import numpy as np

    images = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    labels = np.arange(40) % 10
    plain = schedules.WhiteRatioCondition.fit(images, labels)
    scaled = schedules.scaled_condition(1.1).fit(images, labels)
    assert np.allclose(scaled.std, 1.1 * plain.std) and np.allclose(scaled.mean, plain.mean)
