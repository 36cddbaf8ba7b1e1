"""The face condition: four attributes read from a face by the four condition models.

P(male), hair darkness, mouth openness and eye openness, each in [0, 1]. The C-VAE's training
faces get the models' *predictions* as their condition (labelled or not); generation asks for
named values. The four models are saved inside the run folder (``condition_models/``), so a
face run copied elsewhere still encodes and judges faces.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from cvae_tf.core.conditions import Condition, ConditionField, register_condition
from cvae_tf.core.inference import compiled, sample_latents
from cvae_tf.families.faces.condition_models import (
    conditions_model,
    load_condition_models,
    predict_conditions,
    save_condition_models,
)

MODELS_FOLDER = "condition_models"
FACE_FIELDS = (
    ConditionField("male", "number", 0.0, 1.0, 0.5, "sex: 1 male … 0 female (P(male))"),
    ConditionField("hair", "number", 0.0, 1.0, 0.5, "hair colour: 1 dark … 0 light"),
    ConditionField("mouth", "number", 0.0, 1.0, 0.5, "mouth: 1 open … 0 closed"),
    ConditionField("eyes", "number", 0.0, 1.0, 0.5, "eyes: 1 wide open … 0 closed"),
)


@register_condition
class FaceAttributes(Condition):
    kind: ClassVar[str] = "face_attributes"
    fields: ClassVar[tuple] = FACE_FIELDS
    size: ClassVar[int] = len(FACE_FIELDS)
    reads_images: ClassVar[bool] = True  # the four models read any face

    def __init__(self, models: dict):
        self.models = models  # the four condition models by name

    def vectors(self, n: int, **values) -> np.ndarray:
        values = self.checked_values(n, values)
        return np.stack([values[field.name] for field in self.fields], axis=1).astype(np.float32)

    @cached_property
    def _read(self):
        """The four models as one compiled function, traced once: a face costs milliseconds, and the
        server's threads may call it side by side."""
        return compiled(conditions_model(self.models))

    def of_images(self, images, labels=None) -> np.ndarray:
        return predict_conditions(self.models, images, reader=self._read)

    def values_of(self, images, labels=None) -> dict:
        vectors = self.of_images(images)
        return {field.name: vectors[:, i] for i, field in enumerate(self.fields)}

    def to_dict(self) -> dict:
        return {"models": MODELS_FOLDER, "names": sorted(self.models)}

    def save(self, folder) -> None:
        super().save(folder)
        save_condition_models(self.models, Path(folder) / MODELS_FOLDER)

    @classmethod
    def from_dict(cls, data: dict, folder: Path) -> FaceAttributes:
        return cls(load_condition_models(Path(folder) / data.get("models", MODELS_FOLDER)))


def sex_requests(generator, n: int, seed: int = 0):
    """The sex control's test: ``n`` extreme requests (male 0 and 1 in turn, the other fields random),
    drawn with the same z as asked and with the sex flipped. Gives (requested, faces, flipped faces)."""
    rng = np.random.default_rng(seed)
    requested = {name: rng.random(n).astype(np.float32) for name in ("male", "hair", "mouth", "eyes")}
    requested["male"] = (np.arange(n) % 2).astype(np.float32)
    z = sample_latents(n, generator.latent_dim, seed)
    faces, _ = generator.generate(n, z=z, **requested)
    flipped, _ = generator.generate(n, z=z, **{**requested, "male": 1 - requested["male"]})
    return requested, faces, flipped
