"""Callbacks and schedules that any family's training uses: the epoch switch of a loss term, the
NaN guard, the learning-rate log, the wall-time budget, and the learning rate itself (constant or cosine)."""

from __future__ import annotations

import math
import time

import keras


class SharpnessSwitch(keras.callbacks.Callback):
    """Turns a trainer's sharpness term on from epoch ``start_epoch`` (1-based; ``None`` = never) by
    setting its ``sharpness_on`` variable at each epoch's start.

    Switched on from the first epoch a decoder tends to collapse to all-black images, so the
    default waits one epoch. The state follows from the epoch number alone, so a resumed run
    is in the right state whatever epoch it resumes at. Logged as ``<name>_on``.
    """

    def __init__(self, start_epoch: int | None = 2, name: str = "grey"):
        super().__init__()
        self.start_epoch, self.name = start_epoch, name

    def is_on(self, epoch_index: int) -> bool:
        return self.start_epoch is not None and epoch_index + 1 >= self.start_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.model.sharpness_on.assign(1.0 if self.is_on(epoch) else 0.0)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[f"{self.name}_on"] = float(self.is_on(epoch))


class StopOnNaN(keras.callbacks.Callback):
    """Stops with an error that says which loss stopped being finite, and where.

    Unlike ``TerminateOnNaN`` it raises, so no model is saved from broken weights; the last
    completed epoch stays in the backup for a resume (e.g. with a lower learning rate). Every
    logged loss is watched, so a two-model trainer (``d_loss``, ``g_loss``) is guarded too.
    """

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if "loss" in name and not math.isfinite(float(value)):
                raise FloatingPointError(
                    f"the training {name.replace('_', ' ')} became {float(value)} at epoch {self.epoch + 1}, "
                    f"batch {batch + 1}; the last completed epoch is kept for --resume; try a lower learning rate"
                )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


class LogLearningRate(keras.callbacks.Callback):
    """Adds the learning rate at each epoch's end to the logs (CSV, TensorBoard, history)."""

    def on_epoch_end(self, epoch, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs is not None and optimizer is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class TimeBudget(keras.callbacks.Callback):
    """Stops training at an epoch's end when one more epoch, as long as the slowest so far, would end past
    ``minutes`` of wall time: equal-time comparisons of settings, or "train for 30 minutes" on a laptop.

    The clock is this process's: a resumed run gets the whole budget again. Logged as ``minutes``.
    """

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = 60.0 * float(minutes)

    def on_train_begin(self, logs=None):
        self.started = self.epoch_started = time.perf_counter()
        self.slowest = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.slowest = max(self.slowest, now - self.epoch_started)
        if logs is not None:
            logs["minutes"] = (now - self.started) / 60.0
        if now - self.started + self.slowest > self.seconds:
            self.model.stop_training = True


def learning_rate(training, steps_per_epoch: int | None):
    """The configured rate, or its cosine decay to 0 over the run (a function of the optimizer's
    step count, which ``BackupAndRestore`` restores on resume)."""
    if training.lr_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(training.learning_rate, training.epochs * (steps_per_epoch or 1))
    return training.learning_rate
