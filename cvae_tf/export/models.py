"""What a run exports: the one model that draws (a generator's decoder, a translator's generator),
its description as ``GET /models`` gives it, and, for a conditional generator, the condition as a
linear map from the named fields, so that a client without Python can build the vector."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import SavedRun
from cvae_tf.serve.registry import ServedGenerator, ServedTranslator, served

PROBES = 64  # random field values that check the condition is linear in its features
TOLERANCE = 1e-5


@dataclass
class Exportable:
    """A run's drawing model, its schema, and the condition's linear map (None when it takes none)."""

    name: str
    run: SavedRun
    model: object  # keras.Model
    schema: dict
    encoding: dict | None

    def function(self) -> tf.types.experimental.GenericFunction:
        """The model as a ``tf.function`` with named inputs and a free batch size, as every format converts it."""
        names = list(self.model.input)
        signature = [tf.TensorSpec([None, *self.model.input[n].shape[1:]], tf.float32, name=n) for n in names]
        model = self.model
        return tf.function(lambda *tensors: model(dict(zip(names, tensors)), training=False), input_signature=signature)

    def inputs(self) -> list[str]:
        return list(self.model.input)


def exportable(path: str | Path, name: str | None = None) -> Exportable:
    """The exportable model of the run at ``path``; a RunError naming it when it has none."""
    run = SavedRun.open(path)
    name = name or Path(path).resolve().name
    model = served(name, run)
    if isinstance(model, ServedGenerator):
        encoding = condition_encoding(model.inference.condition, model.fields) if model.conditional else None
        schema = {**model.describe(), "routes": ["generate"], "input": None}
        return Exportable(name, run, model.inference.decoder, schema, encoding)
    if isinstance(model, ServedTranslator):
        return Exportable(name, run, model.inference.generator, model.describe(), None)
    family = run.manifest.get("family")
    raise RunError(f"{path}: the {family} family has no decoder or generator to export (it draws nothing)")


def features(fields, values: dict, n: int) -> np.ndarray:
    """(n, F): each integer field one-hot over its range, each number field as it is (the page does the same)."""
    columns = []
    for field in fields:
        value = np.broadcast_to(np.asarray(values[field.name], np.float64), (n,))
        if field.type == "integer":
            classes = np.arange(int(field.minimum), int(field.maximum) + 1)
            columns.append((value[:, None] == classes[None]).astype(np.float64))
        else:
            columns.append(value[:, None])
    return np.concatenate(columns, axis=1)


def condition_encoding(condition, fields, seed: int = 0) -> dict:
    """``weights`` (F, size) and ``bias`` (size,) with ``vectors(**values) = features(values) @ weights + bias``,
    fitted on random values and checked on others; a RunError when the condition is not such a map."""
    rng = np.random.default_rng(seed)

    def probe(n):
        values = {}
        for field in fields:
            if field.type == "integer":
                values[field.name] = rng.integers(int(field.minimum), int(field.maximum) + 1, n)
            else:
                values[field.name] = rng.uniform(field.minimum, field.maximum, n).astype(np.float32)
        design = np.concatenate([features(fields, values, n), np.ones((n, 1))], axis=1)
        return design, np.asarray(condition.vectors(n, **values), np.float64)

    design, vectors = probe(PROBES)
    solution = np.linalg.lstsq(design, vectors, rcond=None)[0]
    check, expected = probe(PROBES)
    error = float(np.abs(check @ solution - expected).max())
    if error > TOLERANCE:
        raise RunError(
            f"condition {condition.kind!r} is not linear in its fields (off by {error:.3g}); "
            "the web page cannot build its vectors"
        )
    return {"weights": np.round(solution[:-1], 7).tolist(), "bias": np.round(solution[-1], 7).tolist()}
