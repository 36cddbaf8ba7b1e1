"""Training machinery shared by every VAE family: the trainer model and its callbacks."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from cvae_tf.losses import grey_loss, kl_divergence, mse_sum


class VAETrainer(keras.Model):
    """Trains a functional encoder / decoder pair as a (conditional) VAE.

    Batches are dicts: ``image`` plus the encoder's other inputs (e.g. ``condition``), which the
    decoder receives too. The loss per image is ``mse + kl + grey_weight · grey_on · grey``;
    ``grey_on`` is a non-trainable variable that ``GreyLossSwitch`` sets at each epoch's start.
    Validation (``test_step``) always scores the full objective, grey term included, so that
    "best epoch" compares like with like before and after the switch.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, grey_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.grey_weight = float(grey_weight)
        self.grey_on = keras.Variable(0.0, trainable=False, name="grey_on")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "mse", "kl", "grey")}
        self.built = encoder.built and decoder.built  # functional parts arrive built

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        z = self.encoder(inputs, training=training)["z"]
        return self.decoder(self._decoder_inputs(z, inputs), training=training)

    def _decoder_inputs(self, z, inputs):
        return {"z": z, **{key: value for key, value in inputs.items() if key != "image"}}

    def loss_terms(self, inputs, training=False):
        """Per-image mse, kl and grey terms, each of shape (batch,)."""
        encoded = self.encoder(inputs, training=training)
        reconstruction = self.decoder(self._decoder_inputs(encoded["z"], inputs), training=training)
        return {
            "mse": mse_sum(inputs["image"], reconstruction),
            "kl": kl_divergence(encoded["z_mean"], encoded["z_log_var"]),
            "grey": grey_loss(reconstruction),
        }

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.loss_terms(data, training=True)
            per_image = terms["mse"] + terms["kl"] + self.grey_weight * self.grey_on * terms["grey"]
            # Gradients are summed over replicas, so each replica contributes its share of the mean.
            scaled = ops.mean(per_image) / tf.distribute.get_strategy().num_replicas_in_sync
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._record(per_image, terms)

    def test_step(self, data):
        terms = self.loss_terms(data, training=False)
        return self._record(terms["mse"] + terms["kl"] + self.grey_weight * terms["grey"], terms)

    def _record(self, per_image_loss, terms):
        # Per image, like the terms, so that loss = mse + kl + k·grey holds for the epoch means too.
        self.trackers["loss"].update_state(per_image_loss)
        for name, values in terms.items():
            self.trackers[name].update_state(values)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class GreyLossSwitch(keras.callbacks.Callback):
    """Turns the grey loss on from epoch ``start_epoch`` (1-based; ``None`` = never).

    Switched on from the first epoch the decoder tends to collapse to all-black images, so the
    default waits one epoch. The state follows from the epoch number alone, so a resumed run
    is in the right state whatever epoch it resumes at.
    """

    def __init__(self, start_epoch: int | None = 2):
        super().__init__()
        self.start_epoch = start_epoch

    def is_on(self, epoch_index: int) -> bool:
        return self.start_epoch is not None and epoch_index + 1 >= self.start_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.model.grey_on.assign(1.0 if self.is_on(epoch) else 0.0)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["grey_on"] = float(self.is_on(epoch))


class StopOnNaN(keras.callbacks.Callback):
    """Stops with an error that says where the loss stopped being finite.

    Unlike ``TerminateOnNaN`` it raises, so no model is saved from broken weights; the last
    completed epoch stays in the backup for a resume (e.g. with a lower learning rate).
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise FloatingPointError(
                f"the training loss became {float(loss)} at epoch {self.epoch + 1}, batch {batch + 1}; "
                "the last completed epoch is kept for --resume; try a lower learning rate"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


class LogLearningRate(keras.callbacks.Callback):
    """Adds the learning rate at each epoch's end to the logs (CSV, TensorBoard, history)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
