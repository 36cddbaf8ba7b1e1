"""Training schedules that the trainer's config does not name yet: self-contained, opt-in pieces.

Each piece works with the existing ``VAETrainer`` (``cvae_tf.training``) from outside:

- ``size_defaults``: batch size and epochs chosen by the data's size, for a config that leaves
  them unset: the offline sample gets batch 32 × 30 epochs, full MNIST batch 256 × 10 epochs.
- ``epochs_for_steps``: a step budget turned into an epoch count, so that a small data set (the
  offline ``sample``, 4,000 training digits) gets as many optimizer steps as it needs.
- ``GreyWeightRamp``: a schedule for k instead of the on/off switch. ``VAETrainer``'s training
  loss is ``mse + β·kl + k · sharpness_on · sharpness``; this callback sets ``sharpness_on`` every batch, so it
  ramps from 0 to 1 (or to any factor) over a span of steps. Pass it after ``SharpnessSwitch``
  (``train(..., callbacks=[...])`` does), it then overrides the switch.
- ``KLWarmup``: ramps ``VAETrainer``'s KL weight β (the variable ``kl_weight``) from ``low`` to
  ``beta`` over the first steps, against posterior collapse.

- ``scaled_condition``: the white-ratio condition normalised by ``scale · σ_d`` instead of σ_d.
  ``c = clip(0.5 · (r − μ_d) / σ_d, −1, 1)`` clips the boldest and thinnest 5% of digits to ±1,
  so the digits the decoder sees at c = ±1 lie beyond ±2σ_d on average and its thickness slope
  runs steeper than 2σ_d; a scale > 1 clips fewer of them.

All state follows from the optimizer's step count (``optimizer.iterations``), which
``BackupAndRestore`` restores, so a resumed run is in the state its step implies.
"""

from __future__ import annotations

import math

import keras

from cvae_tf.conditions import WhiteRatioCondition


def epochs_for_steps(train_size: int, batch_size: int, steps: int, min_epochs: int = 1) -> int:
    """The number of epochs that gives at least ``steps`` optimizer steps (and at least ``min_epochs``)."""
    steps_per_epoch = max(1, math.ceil(train_size / batch_size))
    return max(min_epochs, math.ceil(steps / steps_per_epoch))


SMALL_DATA = 20_000  # training images below which a data set counts as small (the offline sample has 4,050)


def size_defaults(train_size: int, batch_size: int | None = None, epochs: int | None = None) -> tuple[int, int]:
    """Batch size and epochs for a data set of ``train_size`` images, where the config leaves them ``None``.

    Full MNIST (54,000): batch 256, 10 epochs (2,110 steps). A small set such as the offline
    sample (4,050): batch 32, 30 epochs (3,810 steps); with batch 256 and 10 epochs it would get
    160 steps and the latent collapses (benchmarks/RESULTS.md, the first run).
    """
    small = train_size < SMALL_DATA
    return (batch_size or (32 if small else 256), epochs or (30 if small else 10))


def ramp(step: float, start: float, length: float, low: float = 0.0, high: float = 1.0) -> float:
    """``low`` before ``start``, ``high`` after ``start + length``, linear in between."""
    if length <= 0:
        return high if step >= start else low
    fraction = min(1.0, max(0.0, (step - start) / length))
    return low + (high - low) * fraction


class _StepSchedule(keras.callbacks.Callback):
    """Sets one trainer variable from the optimizer's step count before every training batch."""

    variable = None  # the trainer attribute to set

    def value(self, step: int) -> float:
        raise NotImplementedError

    def _step(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_batch_begin(self, batch, logs=None):
        getattr(self.model, self.variable).assign(self.value(self._step()))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[self.variable] = float(keras.ops.convert_to_numpy(getattr(self.model, self.variable)))


class GreyWeightRamp(_StepSchedule):
    """k's factor ``sharpness_on``: 0 for the first ``start`` steps, then up to ``high`` over ``length`` steps."""

    variable = "sharpness_on"

    def __init__(self, start: int, length: int, high: float = 1.0):
        super().__init__()
        self.start, self.length, self.high = start, length, high

    def value(self, step: int) -> float:
        return ramp(step, self.start, self.length, 0.0, self.high)


class KLWarmup(_StepSchedule):
    """β from ``low`` to ``beta`` linearly over the first ``length`` steps."""

    variable = "kl_weight"

    def __init__(self, length: int, beta: float = 1.0, low: float = 0.0):
        super().__init__()
        self.length, self.beta, self.low = length, beta, low

    def value(self, step: int) -> float:
        return ramp(step, 0, self.length, self.low, self.beta)


def scaled_condition(scale: float):
    """A ``WhiteRatioCondition`` whose ``fit`` multiplies each σ_d by ``scale`` (saved so, like any fit)."""

    class ScaledWhiteRatioCondition(WhiteRatioCondition):
        @classmethod
        def fit(cls, images, labels):
            fitted = WhiteRatioCondition.fit(images, labels)
            return WhiteRatioCondition(mean=fitted.mean, std=fitted.std * scale)

    return ScaledWhiteRatioCondition
