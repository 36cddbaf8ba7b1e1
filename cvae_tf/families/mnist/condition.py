"""The MNIST condition: a one-hot digit plus the per-digit normalised white ratio.

The white ratio r of an image is the mean of its pixels / 255. Bold digits have a high r,
thin ones a low r, but "1" has far fewer white pixels than "8" at the same stroke width, so
r is normalised per digit: ``c = clip(0.5 · (r − μ_d) / σ_d, −1, 1)``. Then c = −1 means "thin
for this digit" and c = 1 "bold for this digit" for every digit alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from cvae_tf.core.conditions import Condition, ConditionField, register_condition
from cvae_tf.core.errors import DataError

NUM_CLASSES = 10
CONDITION_SIZE = NUM_CLASSES + 1


def white_ratio(images: np.ndarray) -> np.ndarray:
    """Mean pixel value / 255 of each image; uint8 images in 0-255 or floats in [0, 1]."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return images.reshape(len(images), -1).mean(axis=1, dtype=np.float64) / scale


DIGIT = ConditionField("digit", "integer", 0, NUM_CLASSES - 1, None, "the digit to draw")
WHITE = ConditionField("white", "number", -1.0, 1.0, 0.0, "stroke thickness for that digit: -1 thin … 1 bold")


@register_condition
@dataclass(frozen=True, eq=False)
class WhiteRatioCondition(Condition):
    """Per-digit statistics of the white ratio, fitted on the training split and saved with the model."""

    mean: np.ndarray  # μ_d, shape (10,)
    std: np.ndarray  # σ_d, shape (10,)

    kind: ClassVar[str] = "white_ratio"
    untagged: ClassVar[bool] = True  # runs saved before conditions were tagged hold these statistics
    fields: ClassVar[tuple] = (DIGIT, WHITE)
    class_field: ClassVar[str] = "digit"
    size: ClassVar[int] = CONDITION_SIZE

    @classmethod
    def fit(cls, images: np.ndarray, labels: np.ndarray, spread: float = 1.0) -> WhiteRatioCondition:
        """μ_d and ``spread`` · σ_d of the training images: a spread above 1 maps the same strokes to a
        narrower range of c, so c = ±1 asks for less extreme strokes."""
        if not spread > 0:
            raise ValueError(f"white spread = {spread!r}; expected a number above 0 (1 = the data's own σ_d)")
        labels = _checked_labels(labels)
        ratios = white_ratio(images)
        missing = sorted(set(range(NUM_CLASSES)) - set(np.unique(labels).tolist()))
        if missing:
            raise DataError(f"no training images of digit(s) {missing}; every digit 0-9 needs some to fit μ_d, σ_d")
        mean = np.array([ratios[labels == d].mean() for d in range(NUM_CLASSES)])
        std = np.array([ratios[labels == d].std() for d in range(NUM_CLASSES)])
        return cls(mean=mean, std=np.maximum(spread * std, 1e-6))

    def white_value(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """The normalised white ratio c in [−1, 1] of each image under its own digit's statistics."""
        labels = _checked_labels(labels)
        c = 0.5 * (white_ratio(images) - self.mean[labels]) / self.std[labels]
        return np.clip(c, -1.0, 1.0).astype(np.float32)

    def expected_ratio(self, labels: np.ndarray, white: np.ndarray) -> np.ndarray:
        """The white ratio that c = ``white`` stands for (the inverse of the normalisation)."""
        labels = _checked_labels(labels)
        return self.mean[labels] + 2.0 * np.asarray(white) * self.std[labels]

    def encode(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Condition vectors (N, 11) of real images: one-hot digit, then c."""
        return condition_vectors(labels, self.white_value(images, labels))

    def of_images(self, images, labels=None) -> np.ndarray:
        if labels is None:
            raise ValueError("a digit's condition needs its label (the digit); pass labels")
        return self.encode(images, labels)

    def values_of(self, images, labels=None) -> dict:
        return {"digit": _checked_labels(labels), "white": self.white_value(images, labels)}

    def vectors(self, n: int, **values) -> np.ndarray:
        values = self.checked_values(n, values)
        return condition_vectors(values["digit"], values["white"])

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict, folder=None) -> WhiteRatioCondition:
        mean, std = np.asarray(data["mean"], float), np.asarray(data["std"], float)
        if mean.shape != (NUM_CLASSES,) or std.shape != (NUM_CLASSES,):
            raise DataError(f"white-ratio statistics of shape {mean.shape}/{std.shape}; expected (10,) each")
        return cls(mean=mean, std=std)

    @classmethod
    def load(cls, path: str | Path) -> WhiteRatioCondition:
        """From a ``conditions.json`` file (tagged or, as runs saved before tags, untagged)."""
        data = json.loads(Path(path).read_text())
        data.pop("kind", None)
        return cls.from_dict(data)


def condition_vectors(labels, white=0.0) -> np.ndarray:
    """Condition vectors (N, 11) for requested digits and white values (a scalar or one per digit)."""
    labels = _checked_labels(labels)
    white = np.broadcast_to(np.asarray(white, dtype=np.float32), labels.shape)
    if np.any(np.abs(white) > 1):
        raise ValueError(f"white values {white[np.abs(white) > 1][:3].tolist()} are outside [-1, 1]")
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    return np.concatenate([one_hot, white[:, None]], axis=1)


def _checked_labels(labels) -> np.ndarray:
    labels = np.atleast_1d(np.asarray(labels))
    bad = labels[(labels < 0) | (labels >= NUM_CLASSES) | (labels != np.round(labels))]
    if bad.size:
        raise ValueError(f"digit labels {bad[:3].tolist()} out of range; expected whole numbers 0-9")
    return labels.astype(np.int64)
