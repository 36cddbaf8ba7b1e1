"""Using a trained model: one inference object per kind of model, shared by the CLI, the latent
tools, the notebook widgets and the server.

- ``LatentGenerator`` (VAE and C-VAE families): encode, decode, generate from named condition
  values, reconstruct, and guess an image's class by the one rule of this project.
- ``ImageTranslator`` (image-to-image families such as pix2pix): translate.

Keras models run through ``tf.function``s with a fixed input signature, traced once: a call
then costs about 2 ms for one digit, against about 170 ms for ``Model.predict``, and calls from
the server's threads are safe side by side. Anything else with Keras' ``input`` and
``predict_on_batch`` (a stand-in in a test) is called as it is.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import tensorflow as tf

BATCH = 512


def compiled(model):
    """``model`` as a function of a dict of arrays, on a fixed-signature ``tf.function`` for Keras models."""
    import keras

    if not isinstance(model, keras.Model):
        return model.predict_on_batch
    names = list(model.input)
    signature = [tf.TensorSpec([None, *model.input[name].shape[1:]], tf.float32) for name in names]
    function = tf.function(lambda *tensors: model(dict(zip(names, tensors)), training=False), input_signature=signature)
    return lambda inputs: _numpy(function(*[tf.constant(inputs[name], tf.float32) for name in names]))


def _numpy(outputs):
    if isinstance(outputs, dict):
        return {key: value.numpy() for key, value in outputs.items()}
    return outputs.numpy()


def in_batches(function, inputs: dict, batch_size: int = BATCH):
    """``function`` over ``inputs`` (a dict of equally long arrays) in chunks, results joined."""
    length = len(next(iter(inputs.values())))
    chunks = [
        function({key: value[start : start + batch_size] for key, value in inputs.items()})
        for start in range(0, max(length, 1), batch_size)
    ]
    if isinstance(chunks[0], dict):
        return {key: np.concatenate([chunk[key] for chunk in chunks]) for key in chunks[0]}
    return np.concatenate(chunks)


def as_model_input(images) -> np.ndarray:
    """float32 (N, H, W, C) in [0, 1] from uint8 or float images, with or without a channel axis."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    return scaled[..., None] if scaled.ndim == 3 else scaled


def to_uint8(pictures) -> np.ndarray:
    """uint8 pictures (0–255) of floats in [0, 1], clipped and rounded: what PNGs store."""
    return np.round(np.clip(np.asarray(pictures), 0.0, 1.0) * 255).astype(np.uint8)


def as_display(images) -> np.ndarray:
    """float (N, H, W) for greyscale or (N, H, W, 3) for colour, in [0, 1]: as figures and PNGs show images."""
    images = as_model_input(images)
    return images[..., 0] if images.shape[-1] == 1 else images


def sample_latents(count: int, latent_dim: int, seed: int | None = 0) -> np.ndarray:
    """Latent vectors from the prior N(0, I), reproducible for a given seed."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


class LatentGenerator:
    """A (conditional) VAE's encoder and decoder and its saved condition (None if unconditional)."""

    def __init__(self, encoder, decoder, condition=None):
        self.encoder, self.decoder, self.condition = encoder, decoder, condition

    @cached_property
    def _encode(self):
        return compiled(self.encoder)

    @cached_property
    def _decode(self):
        return compiled(self.decoder)

    @classmethod
    def from_run(cls, run) -> LatentGenerator:
        """The generator of an open run (a ``SavedRun``): its encoder, decoder and condition."""
        return cls(run.encoder, run.decoder, run.condition)

    @property
    def conditional(self) -> bool:
        return "condition" in self.decoder.input

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.input["z"].shape[-1])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(size) for size in self.encoder.input["image"].shape[1:])

    @property
    def fields(self) -> list:
        """The condition's named fields (``ConditionField``), empty for an unconditional model."""
        return list(self.condition.fields) if self.condition is not None else []

    def condition_vectors(self, n: int, **values) -> np.ndarray | None:
        """Condition vectors for named values (None for an unconditional model, which takes none)."""
        if not self.conditional:
            if values:
                raise ValueError(f"this model is unconditional: it takes no {sorted(values)}")
            return None
        return self.condition.vectors(n, **values)

    def encode(self, images, conditions=None) -> dict:
        """``z_mean`` and ``z_log_var`` (N, latent) of images (uint8 or float, with or without channel axis)."""
        inputs = {"image": as_model_input(images)}
        if self.conditional:
            inputs["condition"] = np.asarray(conditions, np.float32)
        encoded = in_batches(self._encode, inputs)
        return {key: encoded[key] for key in ("z_mean", "z_log_var") if key in encoded}

    def decode(self, z, conditions=None) -> np.ndarray:
        """Images (N, H, W) for greyscale or (N, H, W, C) for colour, in [0, 1]."""
        inputs = {"z": np.asarray(z, np.float32)}
        if self.conditional:
            inputs["condition"] = np.asarray(conditions, np.float32)
        return as_display(in_batches(self._decode, inputs))

    def latents(self, n: int, seed: int | None = 0, z=None) -> np.ndarray:
        """``n`` latents: drawn from the prior with ``seed``, or ``z`` (one vector for all n, or n vectors) checked."""
        if z is None:
            return sample_latents(n, self.latent_dim, seed)
        rows = [z] if np.ndim(z[0]) == 0 else list(z)
        lengths = sorted({len(row) for row in rows})
        if lengths != [self.latent_dim]:
            sizes = " and ".join(map(str, lengths))
            raise ValueError(f"z has {sizes} values per vector; the model has latent size {self.latent_dim}")
        if len(rows) not in (1, n):
            raise ValueError(f"z has {len(rows)} vectors; expected 1 (used for all n images) or n = {n}")
        return np.broadcast_to(np.asarray(rows, np.float32), (n, self.latent_dim)).copy()

    def generate(self, n: int = 1, seed: int | None = 0, z=None, **values) -> tuple[np.ndarray, np.ndarray]:
        """``n`` images under the named condition ``values`` and the latents that drew them."""
        conditions = self.condition_vectors(n, **values)
        z = self.latents(n, seed, z)
        return self.decode(z, conditions), z

    def reconstruct(self, images, conditions=None) -> np.ndarray:
        """Each image encoded to its mean latent and decoded under the same condition: what the model keeps."""
        return self.decode(self.encode(images, conditions)["z_mean"], conditions)

    def guess(self, images, candidates, conditions_for) -> dict:
        """The class of each image: the candidate whose condition explains it best.

        The one rule of the project (CLI, latent tools and server alike): the lowest
        reconstruction error (sum of squares) plus KL of the image encoded and decoded under
        each candidate's condition. ``conditions_for(images, labels)`` gives the condition
        vectors of images under the given labels (e.g. a digit and its measured white ratio).
        """
        images = as_model_input(images)
        candidates = np.asarray(candidates)
        batch = np.repeat(images, len(candidates), axis=0)
        labels = np.tile(candidates, len(images))
        conditions = conditions_for(batch, labels)
        encoded = self.encode(batch, conditions)
        mean = encoded["z_mean"]
        log_var = encoded.get("z_log_var", np.zeros_like(mean))
        decoded = as_model_input(self.decode(mean, conditions))
        error = np.square(decoded - batch).reshape(len(batch), -1).sum(axis=1)
        kl = -0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(axis=1)
        best = (error + kl).reshape(len(images), len(candidates)).argmin(axis=1)
        rows = np.arange(len(images)) * len(candidates) + best
        return {"classes": candidates[best], "conditions": conditions[rows], "z_mean": mean[rows]}


class ImageTranslator:
    """An image-to-image generator (pix2pix): an input image in, a picture out.

    ``multiple_of``: what the input's height and width must be a multiple of (the generator's halvings)."""

    def __init__(self, generator, input_name: str = "sketch", multiple_of: int = 4):
        self.generator, self.input_name, self.multiple_of = generator, input_name, int(multiple_of)

    @cached_property
    def _translate(self):
        return compiled(self.generator)

    @property
    def input_channels(self) -> int:
        return int(self.generator.input[self.input_name].shape[-1])

    def translate(self, images) -> np.ndarray:
        """Pictures (N, H, W, 3) in [0, 1] for inputs (N, H, W[, C]) in [0, 1] (the generator's tanh rescaled)."""
        outputs = in_batches(self._translate, {self.input_name: as_model_input(images)}, batch_size=8)
        return np.clip((outputs + 1.0) / 2.0, 0.0, 1.0)
