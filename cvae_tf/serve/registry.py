"""The served models: each run folder becomes one named, in-memory model that knows its kind.

A kind is an adapter class in ``KINDS`` keyed by the manifest's ``family``. The routes talk to
adapters only through ``describe``, ``generate`` and ``reconstruct``, so a later kind (the face
C-VAE with its four conditions, pix2pix turning a sketch into a picture) plugs in as one more
adapter class plus its condition fields on the request models, without a new route.

Requests never reach the file system: a model is looked up by name in the dict that
``load_models`` built at start.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from cvae_tf.conditions import NUM_CLASSES, condition_vectors
from cvae_tf.errors import RunError
from cvae_tf.generate import sample_latents
from cvae_tf.saving import MANIFEST, SavedRun

log = logging.getLogger("cvae_tf.serve")

IMAGE_SHAPE = (28, 28)
SLIDER_DIRECTIONS = 4  # latent coordinates offered as sliders when the latent has more than two


class RequestError(ValueError):
    """A request that this model cannot answer; ``status`` is the HTTP code to reply with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ConditionField:
    """One condition a model takes, as the page and API clients see it."""

    name: str
    type: str  # "integer" or "number"
    minimum: float
    maximum: float
    default: float
    description: str


DIGIT = ConditionField("digit", "integer", 0, NUM_CLASSES - 1, 0, "the digit to draw")
WHITE = ConditionField("white", "number", -1.0, 1.0, 0.0, "stroke thickness for that digit: -1 thin … 1 bold")


class DigitVAE:
    """A 28×28 MNIST (C-)VAE run: conditional when its decoder takes a ``condition`` input.

    Keras models are wrapped in ``tf.function`` with a fixed signature, traced once here:
    a call then costs about 2 ms for one digit, against about 170 ms for ``Model.predict``,
    and concurrent calls from the server's threads are safe.
    """

    def __init__(self, name: str, run: SavedRun):
        self.name, self.run = name, run
        self.kind = run.manifest.get("family", "unknown")
        decoder, encoder = run.decoder, run.encoder
        self.conditional = "condition" in decoder.input
        self.latent_dim = int(decoder.input["z"].shape[-1])
        z_spec = tf.TensorSpec([None, self.latent_dim], tf.float32)
        image_spec = tf.TensorSpec([None, *IMAGE_SHAPE, 1], tf.float32)
        if self.conditional:
            c_spec = tf.TensorSpec([None, int(decoder.input["condition"].shape[-1])], tf.float32)
            self._decode = tf.function(
                lambda z, c: decoder({"z": z, "condition": c}, training=False), input_signature=[z_spec, c_spec]
            )
            self._encode = tf.function(
                lambda x, c: encoder({"image": x, "condition": c}, training=False), input_signature=[image_spec, c_spec]
            )
        else:
            self._decode = tf.function(lambda z: decoder({"z": z}, training=False), input_signature=[z_spec])
            self._encode = tf.function(lambda x: encoder({"image": x}, training=False), input_signature=[image_spec])
        self.directions = self._slider_directions()

    @property
    def conditions(self) -> list[ConditionField]:
        return [DIGIT, WHITE] if self.conditional else []

    def describe(self) -> dict:
        """What ``GET /models`` shows: kind, condition schema, latent size, slider directions."""
        return {
            "name": self.name,
            "kind": self.kind,
            "conditional": self.conditional,
            "conditions": [asdict(field) for field in self.conditions],
            "latent_dim": self.latent_dim,
            "directions": self.directions,
            "image_shape": list(IMAGE_SHAPE),
            "best_epoch": self.run.manifest.get("best_epoch"),
        }

    def decode(self, z: np.ndarray, digits=None, white=None) -> np.ndarray:
        """Images (N, 28, 28) in [0, 1] for latents ``z`` (N, latent) under the given condition."""
        z = tf.constant(z, tf.float32)
        if self.conditional:
            images = self._decode(z, tf.constant(condition_vectors(digits, white)))
        else:
            images = self._decode(z)
        return images.numpy()[..., 0]

    def generate(self, n: int, seed: int, z=None, digit=None, white=None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` images and their latents; ``z`` (one row, or ``n`` rows) fixes the style, else ``seed`` draws it."""
        digit, white = self._condition(digit, white)
        if z is None:
            z = sample_latents(n, self.latent_dim, seed)
        else:
            rows = z if np.ndim(z[0]) else [z]
            lengths = sorted({len(row) for row in rows})
            if lengths != [self.latent_dim]:
                sizes = " and ".join(map(str, lengths))
                raise RequestError(
                    f"z has {sizes} values per vector; model {self.name!r} has latent size {self.latent_dim}"
                )
            z = np.asarray(rows, np.float32)
            if len(z) not in (1, n):
                raise RequestError(f"z has {len(z)} vectors; expected 1 (used for all n images) or n = {n}")
            z = np.broadcast_to(z, (n, self.latent_dim))
        digits = None if digit is None else np.full(n, digit)
        return self.decode(z, digits, white), z

    def reconstruct(self, image: np.ndarray, digit=None, as_digit=None) -> dict:
        """Encode ``image`` (28, 28) in [0, 1] with its own class, decode it as itself and as ``as_digit``.

        The own class is ``digit`` if given; otherwise the class under whose condition the model
        explains the image best (lowest reconstruction error + KL), so no separate classifier is needed.
        """
        if not self.conditional:
            if digit is not None or as_digit is not None:
                raise RequestError(f"model {self.name!r} ({self.kind}) is unconditional: it takes no digit or as_digit")
            mean = self._encode(tf.constant(image[None, ..., None], tf.float32))["z_mean"]
            return {"reconstruction": self._decode(mean).numpy()[0, ..., 0]}
        source = "given" if digit is not None else "predicted"
        candidates = [digit] if digit is not None else list(range(NUM_CLASSES))
        batch = np.repeat(image[None, ..., None], len(candidates), axis=0).astype(np.float32)
        white = self._white_of(batch[..., 0], np.asarray(candidates))
        conditions = condition_vectors(candidates, white)
        encoded = self._encode(tf.constant(batch), tf.constant(conditions))
        mean, log_var = encoded["z_mean"].numpy(), encoded["z_log_var"].numpy()
        redrawn = self._decode(tf.constant(mean), tf.constant(conditions)).numpy()
        error = ((redrawn - batch) ** 2).sum(axis=(1, 2, 3))
        kl = -0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(axis=1)
        best = int(np.argmin(error + kl))
        result = {
            "digit": int(candidates[best]),
            "digit_source": source,
            "white": float(white[best]),
            "reconstruction": redrawn[best, ..., 0],
        }
        if as_digit is not None:
            result["as_digit"] = int(as_digit)
            result["redrawn"] = self.decode(mean[best : best + 1], [as_digit], white[best : best + 1])[0]
        return result

    def _condition(self, digit, white):
        if not self.conditional:
            if digit is not None or white is not None:
                raise RequestError(f"model {self.name!r} ({self.kind}) is unconditional: drop 'digit' and 'white'")
            return None, None
        if digit is None:
            raise RequestError(f"model {self.name!r} ({self.kind}) needs 'digit', a whole number 0-9")
        return digit, 0.0 if white is None else white

    def _white_of(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        if self.run.condition is None:
            return np.zeros(len(labels), np.float32)
        return self.run.condition.white_value(images, labels)

    def _slider_directions(self) -> list[int]:
        """The latent coordinates that change the drawing most (all of them for a 2-D latent).

        Most of a large latent is unused (the KL is about 9 nats), so sliders over its first few
        coordinates would do nothing; each coordinate is moved by 2 from z = 0 for every digit
        and ranked by the mean change of the pixels.
        """
        if self.latent_dim <= 2:
            return list(range(self.latent_dim))
        steps = np.concatenate([np.zeros((1, self.latent_dim)), 2 * np.eye(self.latent_dim)]).astype(np.float32)
        digits = np.arange(NUM_CLASSES) if self.conditional else np.zeros(1, int)
        z = np.tile(steps, (len(digits), 1))
        labels = np.repeat(digits, len(steps))
        images = self.decode(z, labels if self.conditional else None, 0.0 if self.conditional else None)
        images = images.reshape(len(digits), len(steps), -1)
        change = np.abs(images[:, 1:] - images[:, :1]).mean(axis=(0, 2))
        return [int(i) for i in np.argsort(-change)[:SLIDER_DIRECTIONS]]


KINDS = {"mnist_cvae": DigitVAE, "mnist_vae": DigitVAE}


def run_folders(models_dir: str | Path) -> dict[str, Path]:
    """Model name → run folder: ``models_dir`` itself if it is a run, else its run subfolders."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        raise RunError(f"{models_dir}: no such folder; expected a saved_models folder or a run folder")
    if (models_dir / MANIFEST).exists():
        return {models_dir.resolve().name: models_dir}
    return {
        path.name: path
        for path in sorted(models_dir.iterdir())
        if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST).exists()
    }


def load_models(models_dir: str | Path) -> dict:
    """Every run under ``models_dir`` whose family has a kind, loaded and traced once."""
    models = {}
    for name, path in run_folders(models_dir).items():
        run = SavedRun.open(path)
        family = run.manifest.get("family")
        if family not in KINDS:
            log.warning("skipping %s: family %r has no served kind (known: %s)", path, family, sorted(KINDS))
            continue
        models[name] = KINDS[family](name, run)
        log.info("loaded %s from %s (%s, latent %d)", name, path, family, models[name].latent_dim)
    if not models:
        raise RunError(f"{models_dir}: no run folder of a served kind ({', '.join(sorted(KINDS))}) found")
    return models
