"""pix2pix training: alternate discriminator and generator updates inside one ``keras.Model``.

``Pix2PixTrainer`` holds the generator and the discriminator and an optimizer for each, so
``fit``, ``evaluate``, callbacks and ``BackupAndRestore`` work as for any Keras model. Each
batch first updates the discriminator (its own tape, only its weights), then the generator
(only its weights): they are never updated together, as the LSGAN recipe asks.

Logged metrics: ``d_loss``, ``g_gan``, ``g_l1``, ``g_loss`` and ``loss``. ``loss`` is
``g_l1`` (mean |target − output| in [−1, 1] units): the adversarial terms depend on a moving
discriminator and are not comparable across epochs, the L1 distance to the target is, so
``val_loss`` (≡ ``val_g_l1``) is the quantity to pick the best epoch with.

Mixed precision: under the ``mixed_float16`` policy ``compile`` wraps each optimizer in a
``LossScaleOptimizer`` (as ``Model.compile`` does for its one optimizer); losses are computed
in float32 and the models' last layers output float32.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cvae_tf.core.inference import to_uint8

METRICS = ("d_loss", "g_gan", "g_l1", "g_loss")


# The losses return one scalar: the mean over the batch and the patches (or pixels).


def lsgan_d_loss(real_scores, fake_scores):
    """Discriminator: 0.5 · (mean (D(real) − 1)² + mean D(fake)²); least squares give gradients that do not vanish."""
    real_scores = ops.cast(real_scores, "float32")
    fake_scores = ops.cast(fake_scores, "float32")
    return 0.5 * (ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores)))


def lsgan_g_loss(fake_scores):
    """Generator's adversarial term: mean (D(fake) − 1)², pushing its patches towards 'real'."""
    return ops.mean(lsgan_g_terms(fake_scores))


def lsgan_g_terms(fake_scores):
    """The generator's term per image, shape (batch,): mean over its patches of (D(fake) − 1)²."""
    squared = ops.square(ops.cast(fake_scores, "float32") - 1.0)
    return ops.mean(ops.reshape(squared, (ops.shape(squared)[0], -1)), axis=1)


def bce_d_loss(real_scores, fake_scores):
    """Discriminator, the pix2pix paper's: 0.5 · (cross-entropy of D(real) with 1 + of D(fake) with 0), on logits."""
    real_scores = ops.cast(real_scores, "float32")
    fake_scores = ops.cast(fake_scores, "float32")
    return 0.5 * (ops.mean(ops.softplus(-real_scores)) + ops.mean(ops.softplus(fake_scores)))


def bce_g_loss(fake_scores):
    """Generator's adversarial term, the non-saturating one: cross-entropy of D(fake) with 'real'."""
    return ops.mean(ops.softplus(-ops.cast(fake_scores, "float32")))


GAN_LOSSES = {"lsgan": (lsgan_d_loss, lsgan_g_loss), "bce": (bce_d_loss, bce_g_loss)}


def l1(real, fake):
    """Mean absolute difference of the pictures (in [−1, 1] units): keeps the output close to the target."""
    return ops.mean(ops.abs(ops.cast(real, "float32") - ops.cast(fake, "float32")))


class Pix2PixTrainer(keras.Model):
    """Trains ``generator`` (sketch → picture) against ``discriminator`` with a GAN loss + λ·L1.

    ``gan_loss``: "lsgan" (least squares, the default) or "bce" (the pix2pix paper's cross-entropy).

    ``l1_only=True`` drops the adversarial term and never updates the discriminator: the
    L1-only baseline that shows what the GAN term adds (blurry but faithful pictures).
    Batches are dicts ``{"sketch": (B, H, W, 1) in [0, 1], "image": (B, H, W, 3) in [−1, 1]}``
    or ``(sketch, image)`` tuples.
    """

    def __init__(self, generator, discriminator, lambda_l1=10.0, l1_only=False, gan_loss="lsgan", **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.lambda_l1 = float(lambda_l1)
        self.l1_only = bool(l1_only)
        self.discriminator_loss, self.generator_loss = GAN_LOSSES[gan_loss]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRICS}
        self.built = True  # both networks are built functional models

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """Keep one optimizer per network, built now so a backup restores both optimizers' state."""
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = _loss_scaled(g_optimizer)
        self.d_optimizer = _loss_scaled(d_optimizer)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        """The trainer used as a model is the generator: sketch → picture."""
        return self.generator(_sketch_input(inputs), training=training)

    def d_step(self, sketch, image):
        """One discriminator update on real and generated pictures; returns its loss."""
        fake = self.generator({"sketch": sketch}, training=True)
        with tf.GradientTape() as tape:
            real_scores = self.discriminator({"image": image, "sketch": sketch}, training=True)
            fake_scores = self.discriminator({"image": fake, "sketch": sketch}, training=True)
            loss = self.discriminator_loss(real_scores, fake_scores)
            scaled = self.d_optimizer.scale_loss(loss / _replicas())
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        return loss

    def g_step(self, sketch, image):
        """One generator update; returns (adversarial term, L1 term, total)."""
        with tf.GradientTape() as tape:
            gan, distance, loss = self._generator_losses(sketch, image, training=True)
            scaled = self.g_optimizer.scale_loss(loss / _replicas())
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        return gan, distance, loss

    def _generator_losses(self, sketch, image, training):
        fake = self.generator({"sketch": sketch}, training=training)
        distance = l1(image, fake)
        if self.l1_only:
            gan = tf.zeros((), "float32")
        else:
            gan = self.generator_loss(self.discriminator({"image": fake, "sketch": sketch}, training=training))
        return gan, distance, gan + self.lambda_l1 * distance

    def train_step(self, data):
        sketch, image = _unpack(data)
        d_loss = tf.zeros((), "float32") if self.l1_only else self.d_step(sketch, image)
        return self._log(d_loss, *self.g_step(sketch, image))

    def test_step(self, data):
        sketch, image = _unpack(data)
        fake = self.generator({"sketch": sketch}, training=False)
        real_scores = self.discriminator({"image": image, "sketch": sketch}, training=False)
        fake_scores = self.discriminator({"image": fake, "sketch": sketch}, training=False)
        distance = l1(image, fake)
        gan = tf.zeros((), "float32") if self.l1_only else self.generator_loss(fake_scores)
        return self._log(
            self.discriminator_loss(real_scores, fake_scores), gan, distance, gan + self.lambda_l1 * distance
        )

    def _log(self, d_loss, g_gan, g_l1, g_loss):
        for name, value in zip(METRICS, (d_loss, g_gan, g_l1, g_loss)):
            self.trackers[name].update_state(value)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        return {**logs, "loss": logs["g_l1"]}


def _replicas():
    """Gradients are summed over replicas, so each replica contributes its share of the mean."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def _loss_scaled(optimizer):
    """Wrap in a LossScaleOptimizer under mixed_float16, so small float16 gradients do not underflow."""
    optimizer = keras.optimizers.get(optimizer)
    if keras.mixed_precision.global_policy().name != "mixed_float16":
        return optimizer
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def _unpack(data):
    """Accept {"sketch", "image"} dicts and (sketch, image) tuples."""
    if isinstance(data, dict):
        return data["sketch"], data["image"]
    sketch, image = data[0], data[1]
    return _sketch_input(sketch), image


def _sketch_input(inputs):
    return inputs["sketch"] if isinstance(inputs, dict) else inputs


class SampleGrid(keras.callbacks.Callback):
    """Writes ``epoch_NNN.png`` after each epoch: one row per sample, (input, output, target) side by side.

    Seeing the same sketches every epoch shows progress (and collapse) that the losses hide.
    """

    def __init__(self, sketches, images, folder, every=1):
        super().__init__()
        self.sketches = np.asarray(sketches, "float32")
        self.images = np.asarray(images, "float32")
        self.folder = Path(folder)
        self.every = int(every)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        generator = self.model.generator
        outputs = np.asarray(generator({"sketch": self.sketches}, training=False), "float32")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"epoch_{epoch + 1:03d}.png"
        save_grid(sample_grid(self.sketches, outputs, self.images), path)


def sample_grid(sketches, outputs, targets):
    """uint8 (N·H, 3·W, 3) grid from sketches in [0, 1] and pictures in [−1, 1]."""
    sketches = np.repeat(np.asarray(sketches)[..., :1], 3, axis=-1)
    columns = [sketches, (np.asarray(outputs) + 1.0) / 2.0, (np.asarray(targets) + 1.0) / 2.0]
    rows = np.concatenate(columns, axis=2)
    grid = np.concatenate(list(rows), axis=0)
    return to_uint8(grid)


def save_grid(grid, path):
    from PIL import Image

    Image.fromarray(grid).save(path)
