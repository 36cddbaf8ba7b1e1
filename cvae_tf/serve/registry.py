"""The served models: each run folder becomes one named, in-memory model built from its family.

The family gives the run's inference object (``cvae_tf.core.inference``); this module wraps it for
the routes: ``ServedGenerator`` for latent models (``/generate``, ``/reconstruct``) and
``ServedTranslator`` for image-to-image models (``/translate``). Each describes its inputs for
``GET /models`` (condition fields, latent size, image shape, an input image), and the request
schemas and the page are built from those descriptions.

Requests never reach the file system: a model is looked up by name in the dict that
``load_models`` built at start.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cvae_tf.core.errors import RunError
from cvae_tf.core.inference import ImageTranslator, LatentGenerator
from cvae_tf.core.saving import MANIFEST, SavedRun

log = logging.getLogger("cvae_tf.serve")

SLIDER_DIRECTIONS = 4  # latent coordinates offered as sliders when the latent has more than two


class RequestError(ValueError):
    """A request that this model cannot answer; ``status`` is the HTTP code to reply with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class ServedModel:
    def __init__(self, name: str, run: SavedRun, inference):
        self.name, self.run, self.inference = name, run, inference
        self.kind = run.family.name

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, "best_epoch": self.run.manifest.get("best_epoch")}


class ServedGenerator(ServedModel):
    """A (C-)VAE run: draws from named condition values and a latent, re-draws uploads (unless the model
    is conditional and an upload's condition can neither be guessed by class nor read from it)."""

    def __init__(self, name: str, run: SavedRun, inference: LatentGenerator):
        super().__init__(name, run, inference)
        self.conditional = inference.conditional
        self.latent_dim = inference.latent_dim
        self.image_shape = inference.image_shape
        self.fields = inference.fields
        if self.conditional and not self.fields:  # a run saved without its condition: digits at white 0
            raise RunError(f"{run.path}: a conditional run without conditions.json cannot be served")
        uploads = not self.conditional or self.class_field is not None or self.reads_images
        self.routes = ("generate", "reconstruct") if uploads else ("generate",)
        self.directions = self._slider_directions()

    @property
    def class_field(self):
        condition = self.inference.condition
        return None if condition is None or condition.class_field is None else condition.field(condition.class_field)

    @property
    def reads_images(self) -> bool:
        """Whether the condition reads an upload's own values (face attributes), so they can be changed."""
        return self.conditional and self.inference.condition.reads_images

    def describe(self) -> dict:
        """What ``GET /models`` shows: condition fields, latent size and slider directions, image shape."""
        return {
            **super().describe(),
            "routes": list(self.routes),
            "conditional": self.conditional,
            "conditions": [field.to_dict() for field in self.fields],
            "latent_dim": self.latent_dim,
            "directions": self.directions,
            "image_shape": list(self.image_shape[:2]),
            "channels": self.image_shape[2],
            "input": None,
        }

    def generate(self, n: int, seed: int, z=None, values: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` images and their latents; ``z`` (one row, or ``n`` rows) fixes the style, else ``seed`` draws it."""
        values = {key: value for key, value in (values or {}).items() if value is not None}
        return checked(self.name, self.inference.generate, n, seed, z=z, **values)

    def reconstruct(
        self, image: np.ndarray, own: int | None = None, target: int | None = None, changes: dict | None = None
    ) -> dict:
        """Encode ``image`` under its own condition, decode it as itself and, re-drawn, under changed values:
        as the class ``target`` for a class condition, or with ``changes`` (name → value) for one read from
        images (see ``redraw``).

        The own class is ``own`` if given, else guessed by ``LatentGenerator.guess`` (the same
        rule as ``cvae-tf latent --redraw``).
        """
        generator = self.inference
        if "reconstruct" not in self.routes:
            raise RequestError(
                f"model {self.name!r} ({self.kind}) cannot read an upload's condition; it takes {self.routes}"
            )
        if not self.conditional:
            if own is not None or target is not None or changes is not None:
                raise RequestError(f"model {self.name!r} ({self.kind}) is unconditional: it takes no class or changes")
            return {"reconstruction": generator.reconstruct(image[None])[0]}
        field = self.class_field
        if field is None:
            if own is not None or target is not None:
                names = [each.name for each in self.fields]
                raise RequestError(f"model {self.name!r} ({self.kind}) has no class; change its values {names} instead")
            return self.redraw(image, changes)
        if changes is not None:
            raise RequestError(f"model {self.name!r} ({self.kind}) takes a class to re-draw as, not changes")
        candidates = [own] if own is not None else list(range(int(field.minimum), int(field.maximum) + 1))
        guessed = generator.guess(image[None], candidates, generator.condition.of_images)
        label, conditions = int(guessed["classes"][0]), guessed["conditions"]
        result = {
            field.name: label,
            f"{field.name}_source": "given" if own is not None else "predicted",
            "values": {k: float(v[0]) for k, v in generator.condition.values_of(image[None], [label]).items()},
            "reconstruction": generator.decode(guessed["z_mean"], conditions)[0],
        }
        if target is not None:
            redraw_values = {**result["values"], field.name: target}
            result[f"as_{field.name}"] = int(target)
            result["redrawn"] = generator.decode(guessed["z_mean"], generator.condition.vectors(1, **redraw_values))[0]
        return result

    def redraw(self, image: np.ndarray, changes: dict | None) -> dict:
        """The upload's own values read from it, its reconstruction under them and, with ``changes``,
        the same latent decoded under the own values so changed ("the same face, mouth open")."""
        condition = self.inference.condition
        checked(self.name, condition.checked_values, 1, changes or {})  # a bad name or value: before any work
        values = {name: float(value[0]) for name, value in condition.values_of(image[None]).items()}
        own = condition.vectors(1, **values)
        z_mean = self.inference.encode(image[None], own)["z_mean"]
        result = {"values": values, "reconstruction": self.inference.decode(z_mean, own)[0]}
        if changes is not None:
            changed = condition.vectors(1, **{**values, **changes})
            result.update(changes=changes, redrawn=self.inference.decode(z_mean, changed)[0])
        return result

    def _slider_directions(self) -> list[int]:
        """The latent coordinates that change the drawing most (all of them for a 2-D latent).

        Most of a large latent is unused (the KL is about 9 nats), so sliders over its first few
        coordinates would do nothing; each coordinate is moved by 2 from z = 0 under the default
        condition (every class of a class field) and ranked by the mean change of the pixels.
        """
        if self.latent_dim <= 2:
            return list(range(self.latent_dim))
        steps = np.concatenate([np.zeros((1, self.latent_dim)), 2 * np.eye(self.latent_dim)]).astype(np.float32)
        field = self.class_field
        classes = np.arange(int(field.minimum), int(field.maximum) + 1) if field else np.zeros(1, int)
        z = np.tile(steps, (len(classes), 1))
        values = {field.name: np.repeat(classes, len(steps))} if field else {}
        images, _ = self.inference.generate(len(z), 0, z=z, **values)
        images = images.reshape(len(classes), len(steps), -1)
        change = np.abs(images[:, 1:] - images[:, :1]).mean(axis=(0, 2))
        return [int(i) for i in np.argsort(-change)[:SLIDER_DIRECTIONS]]


class ServedTranslator(ServedModel):
    """An image-to-image run (pix2pix): a sketch in, a picture out."""

    routes = ("translate",)

    def describe(self) -> dict:
        channels = self.inference.input_channels
        return {
            **super().describe(),
            "routes": list(self.routes),
            "conditional": False,
            "conditions": [],
            "latent_dim": 0,
            "directions": [],
            "image_shape": [int(size) for size in self.run.manifest["config"]["data"]["image_size"]],
            "channels": 3,
            "input": {
                "name": self.inference.input_name,
                "channels": channels,
                "convention": "dark strokes on a white background; a light-on-dark drawing is inverted",
                "multiple_of": self.inference.multiple_of,
            },
        }

    def translate(self, sketch: np.ndarray) -> np.ndarray:
        return self.inference.translate(sketch[None])[0]


def checked(name: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``, its ValueError (a bad request to model ``name``) a RequestError."""
    try:
        return function(*args, **kwargs)
    except ValueError as err:
        raise RequestError(f"model {name!r}: {err}") from None


def served(name: str, run: SavedRun):
    """The served form of a run, or None when its family offers no inference object."""
    inference = run.family.inference(run)
    if isinstance(inference, LatentGenerator):
        return ServedGenerator(name, run, inference)
    if isinstance(inference, ImageTranslator):
        return ServedTranslator(name, run, inference)
    return None


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
    """Every run under ``models_dir`` whose family can be served, loaded and traced once."""
    models = {}
    for name, path in run_folders(models_dir).items():
        run = SavedRun.open(path)
        try:
            model = served(name, run)
        except ValueError as err:  # an unknown family
            log.warning("skipping %s: %s", path, err)
            continue
        if model is None:
            log.warning("skipping %s: family %r has nothing to serve", path, run.manifest.get("family"))
            continue
        models[name] = model
        log.info("loaded %s from %s (%s)", name, path, model.kind)
    if not models:
        raise RunError(f"{models_dir}: no run folder of a served family found")
    return models


__all__ = ["RequestError", "ServedGenerator", "ServedTranslator", "load_models", "run_folders"]
