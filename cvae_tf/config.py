"""Run configuration: data, model and training settings, every one with a default.

A config is plain data (dataclasses) so that it can be saved with a run, read back from JSON
or YAML, and checked: an unknown key or a value of the wrong type is an error naming it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DataConfig:
    format: str = "mnist"  # "mnist" or "images" (a folder of image files)
    source: str = "sample"  # mnist: "sample", "keras", a Kaggle CSV file or a folder of IDX / CSV files
    val_fraction: float = 0.1
    test_fraction: float = 0.1  # images: held out when the folder has no test/ subfolder
    image_size: list = field(default_factory=lambda: [28, 28])  # images: resized to (height, width)
    channels: int = 1  # images: 1 (greyscale) or 3 (colour)
    crop: bool = False  # images: cut the centre to the target's aspect ratio before resizing (faces)


@dataclass
class ModelConfig:
    family: str = "mnist_cvae"
    latent_dim: int = 8  # chosen by evaluation: benchmarks/RESULTS.md
    filters: list = field(default_factory=lambda: [16, 32])
    dense_units: int = 256
    side_branch: bool = True


@dataclass
class TrainingConfig:
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    lr_schedule: str = "constant"  # or "cosine": decays to 0 over the run (restored on resume)
    grey_weight: float = 0.5
    grey_from_epoch: int | None = 2  # 1-based; None = never
    seed: int = 0
    jit_compile: bool = False  # XLA is slower than plain graphs for this model on CPU (benchmarks/)

    @property
    def objective_grey_weight(self) -> float:
        """k as the objective counts it: 0 when the grey loss is never switched on."""
        return self.grey_weight if self.grey_from_epoch is not None else 0.0


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, origin: str = "config") -> "RunConfig":
        sections = {}
        _check_keys(data, {f.name for f in dataclasses.fields(cls)}, origin)
        for section in dataclasses.fields(cls):
            section_type = section.default_factory
            values = data.get(section.name) or {}
            where = f"{origin}: {section.name}"
            _check_keys(values, {f.name for f in dataclasses.fields(section_type)}, where)
            defaults = section_type()
            for key, value in values.items():
                _check_type(f"{where}.{key}", value, getattr(defaults, key))
            sections[section.name] = section_type(**values)
        return cls(**sections)

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        """Read a YAML or JSON config file (JSON is YAML, so one parser reads both)."""
        import yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such config file")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with sections data / model / training")
        return cls.from_dict(data, origin=str(path))


def _check_keys(values, allowed: set, where: str) -> None:
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a mapping, got {values!r}")
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(allowed)}")


NULLABLE = {"grey_from_epoch"}
CHOICES = {"format": ("mnist", "images"), "lr_schedule": ("constant", "cosine"), "channels": (1, 3)}


def _check_type(where: str, value, default) -> None:
    if value is None:
        ok = where.rsplit(".", 1)[-1] in NULLABLE
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default)) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"{where} = {value!r}; expected a value like {default!r}")
    choices = CHOICES.get(where.rsplit(".", 1)[-1])
    if choices and value not in choices:
        raise ValueError(f"{where} = {value!r}; expected one of {list(choices)}")
