"""The VAE trainers: a (conditional) VAE's loss, and the C-VAE's control term on judged prior samples."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from cvae_tf.core.losses import RECONSTRUCTION_LOSSES, grey_loss, kl_divergence


class VAETrainer(keras.Model):
    """Trains a functional encoder / decoder pair as a (conditional) VAE.

    Batches are dicts: ``image`` plus the encoder's other inputs (e.g. ``condition``), which the
    decoder receives too. The loss per image is ``reconstruction + β · kl + weight · on · sharpness``:
    the reconstruction term is ``mse`` or ``bce`` summed over the pixels (logged under its name), the
    sharpness term is the family's (the digits' grey loss by default), ``sharpness_on`` a
    non-trainable variable that ``SharpnessSwitch`` sets at each epoch's start, and β ``kl_weight``
    (1 by default). Validation
    (``test_step``) always scores the full objective, sharpness term included, so that "best
    epoch" compares like with like before and after the switch.
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        grey_weight: float = 1.0,
        sharpness_loss=grey_loss,
        sharpness_name: str = "grey",
        kl_weight: float = 1.0,
        reconstruction: str = "mse",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.grey_weight = float(grey_weight)
        if reconstruction not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"reconstruction = {reconstruction!r}; expected one of {sorted(RECONSTRUCTION_LOSSES)}")
        self.reconstruction = reconstruction
        self.kl_weight = keras.Variable(float(kl_weight), trainable=False, name="kl_weight")
        self.sharpness_loss, self.sharpness_name = sharpness_loss, sharpness_name
        self.sharpness_on = keras.Variable(0.0, trainable=False, name="sharpness_on")
        names = ("loss", reconstruction, "kl", sharpness_name)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
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
        """Per-image reconstruction, kl and sharpness terms, each of shape (batch,)."""
        encoded = self.encoder(inputs, training=training)
        reconstruction = self.decoder(self._decoder_inputs(encoded["z"], inputs), training=training)
        return self.reconstruction_terms(inputs, encoded, reconstruction)

    def reconstruction_terms(self, inputs, encoded, reconstruction) -> dict:
        return {
            self.reconstruction: RECONSTRUCTION_LOSSES[self.reconstruction](inputs["image"], reconstruction),
            "kl": kl_divergence(encoded["z_mean"], encoded["z_log_var"]),
            self.sharpness_name: self.sharpness_loss(reconstruction, inputs["image"]),
        }

    def objective(self, terms, switch=1.0):
        """The loss per image from the terms; ``switch`` (0 or 1) gates the sharpness term."""
        loss = terms[self.reconstruction] + self.kl_weight * terms["kl"]
        if self.grey_weight:  # at weight 0 the term is only logged: no gradient to trace through it
            loss = loss + self.grey_weight * switch * terms[self.sharpness_name]
        return loss

    def train_step(self, data):
        with tf.GradientTape() as tape:
            terms = self.loss_terms(data, training=True)
            per_image = self.objective(terms, self.sharpness_on)
            # Gradients are summed over replicas, so each replica contributes its share of the mean.
            scaled = ops.mean(per_image) / tf.distribute.get_strategy().num_replicas_in_sync
        weights = self.encoder.trainable_weights + self.decoder.trainable_weights
        self.optimizer.apply(tape.gradient(scaled, weights), weights)
        return self._record(per_image, terms)

    def test_step(self, data):
        terms = self.loss_terms(data, training=False)
        return self._record(self.objective(terms), terms)

    def _record(self, per_image_loss, terms):
        # Per image, like the terms, so that loss = reconstruction + β·kl + k·grey holds for the epoch means too.
        self.trackers["loss"].update_state(per_image_loss)
        for name, values in terms.items():
            self.trackers[name].update_state(values)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class JudgedVAETrainer(VAETrainer):
    """A C-VAE trainer that also asks its decoder to obey the condition on prior samples.

    Each batch, latents from the prior are decoded under the batch's conditions in shuffled
    order (real combinations, other faces), and ``judge`` (a frozen model ``{"image"}`` → condition,
    e.g. ``face_conditions.conditions_model``) reads them back; the ``control`` term is the
    binary cross-entropy between requested and judged values, summed over the condition's
    entries that ``judged`` marks (1; default all), weighted by ``judge_weight``. The
    reconstruction terms alone let a decoder lean on z and ignore a condition that the encoder
    already saw.
    """

    def __init__(self, encoder, decoder, judge, judge_weight: float = 1.0, seed: int = 0, judged=None, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.judge, self.judge_weight = judge, float(judge_weight)
        size = decoder.input["condition"].shape[-1]
        self.judged = ops.ones((size,)) if judged is None else ops.convert_to_tensor(judged, "float32")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers["control"] = keras.metrics.Mean(name="control")

    def prior_samples(self, inputs, training=False):
        """The batch's conditions, shuffled, and faces decoded from the prior under them."""
        requested = keras.random.shuffle(inputs["condition"], axis=0, seed=self.seed_generator)
        z = keras.random.normal((ops.shape(requested)[0], self.decoder.input["z"].shape[-1]), seed=self.seed_generator)
        return requested, self.decoder({"z": z, "condition": requested}, training=training)

    def loss_terms(self, inputs, training=False):
        return {**super().loss_terms(inputs, training), **self.prior_terms(*self.prior_samples(inputs, training))}

    def prior_terms(self, requested, drawn) -> dict:
        judged = ops.clip(self.judge({"image": drawn}, training=False), 1e-6, 1 - 1e-6)
        cross_entropy = -(requested * ops.log(judged) + (1 - requested) * ops.log(1 - judged))
        return {"control": ops.sum(cross_entropy * self.judged, axis=1)}

    def objective(self, terms, switch=1.0):
        return super().objective(terms, switch) + self.judge_weight * terms["control"]
