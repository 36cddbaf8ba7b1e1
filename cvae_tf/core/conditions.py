"""Conditions as saved, typed objects: what a conditional model is asked for, by field name.

A condition turns named values (``digit=7, white=0.5``; ``male=1, hair=0.2``) into the vector a
decoder takes, and real images into the vectors they were trained with. It is saved with its
run as ``conditions.json``, tagged with its ``kind``, and loaded back by that kind, so every
reader (CLI, server, page, latent tools) learns a model's fields from the run itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from cvae_tf.core.errors import RunError

CONDITIONS = "conditions.json"
KINDS: dict[str, type] = {}


@dataclass(frozen=True)
class ConditionField:
    """One named value of a condition, as the CLI, the API schema and the page show it."""

    name: str
    type: str  # "integer" (a class: buttons) or "number" (a slider)
    minimum: float
    maximum: float
    default: float | None  # None: the field must be given (a class to draw)
    description: str

    def to_dict(self) -> dict:
        return asdict(self)

    def checked(self, values, n: int) -> np.ndarray:
        """``values`` (a scalar or n of them) broadcast to (n,), or a ValueError naming this field."""
        if values is None and self.default is None:
            raise ValueError(f"needs {self.name!r}: {self.description}, {self.minimum:g} … {self.maximum:g}")
        array = np.asarray(self.default if values is None else values, dtype=np.float64)
        try:
            array = np.broadcast_to(array, (n,))
        except ValueError:
            raise ValueError(f"{self.name}: {array.size} values for {n} images; give one, or one per image") from None
        bad = array[~np.isfinite(array) | (array < self.minimum) | (array > self.maximum)]
        if self.type == "integer":
            bad = np.concatenate([bad, array[array != np.round(array)]])
        if bad.size:
            whole = "whole numbers " if self.type == "integer" else ""
            raise ValueError(
                f"{self.name} = {bad[:3].tolist()} out of range; expected {whole}{self.minimum:g} … {self.maximum:g}"
            )
        return array.astype(np.int64 if self.type == "integer" else np.float32)


class Condition:
    """The interface of a condition kind. Subclasses set ``kind`` and ``fields`` and register."""

    kind: ClassVar[str]
    fields: ClassVar[tuple[ConditionField, ...]]
    class_field: ClassVar[str | None] = None  # a field whose values are classes (guessed from images)
    reads_images: ClassVar[bool] = False  # ``of_images`` needs no labels: an image's condition is read from it
    untagged: ClassVar[bool] = False  # the kind that a conditions.json without a "kind" tag holds

    @property
    def size(self) -> int:
        """Length of the condition vector the models take."""
        raise NotImplementedError

    def vectors(self, n: int, **values) -> np.ndarray:
        """(n, size) float32 condition vectors for named values; a missing field takes its default."""
        raise NotImplementedError

    def of_images(self, images: np.ndarray, labels=None) -> np.ndarray:
        """(N, size) condition vectors of real images (uint8 0-255 or float 0-1), as in training."""
        raise NotImplementedError

    def values_of(self, images: np.ndarray, labels=None) -> dict[str, np.ndarray]:
        """The named values of real images' conditions (the inverse of ``vectors``)."""
        raise NotImplementedError

    def checked_values(self, n: int, values: dict) -> dict[str, np.ndarray]:
        """Every field's values broadcast to (n,) and range-checked; an unknown name is an error."""
        names = [field.name for field in self.fields]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown condition field(s) {unknown}; this model takes {names}")
        return {field.name: field.checked(values.get(field.name), n) for field in self.fields}

    def field(self, name: str) -> ConditionField:
        return next(field for field in self.fields if field.name == name)

    # --- saving ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict, folder: Path) -> "Condition":
        raise NotImplementedError

    def save(self, folder: str | Path) -> None:
        """Write ``conditions.json`` (and any files the condition needs) into a run folder."""
        (Path(folder) / CONDITIONS).write_text(json.dumps({"kind": self.kind, **self.to_dict()}, indent=2))


def register_condition(cls: type) -> type:
    """Class decorator: makes a condition kind loadable by its ``kind`` tag."""
    KINDS[cls.kind] = cls
    return cls


def load_condition(folder: str | Path) -> Condition | None:
    """The condition saved in a run folder, by its kind; None for an unconditional run.

    A file without a kind tag is read as the kind registered with ``untagged = True``.
    """
    path = Path(folder) / CONDITIONS
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    kind = data.pop("kind", next((name for name, cls in KINDS.items() if cls.untagged), None))
    if kind not in KINDS:
        raise RunError(f"{path}: condition kind {kind!r} is unknown; known kinds: {sorted(KINDS)}")
    return KINDS[kind].from_dict(data, Path(folder))
