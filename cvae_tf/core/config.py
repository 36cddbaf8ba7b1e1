"""Run configuration: data, model and training sections, every setting with a default.

A config is plain data (dataclasses) so that it can be saved with a run, read back from JSON
or YAML, and checked: an unknown key or a value of the wrong type is an error naming it. The
``data`` section is shared; the ``model`` and ``training`` sections are the family's own
(``model.family`` picks the family, so the other sections' keys follow from it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from cvae_tf.core.data.sources import FORMATS
from cvae_tf.core.registry import get_family


def choice(default, choices, **kwargs):
    """A field whose value must be one of ``choices`` (a tuple, or a function giving one)."""
    return field(default=default, metadata={"choices": choices}, **kwargs)


def nullable(default, like=None):
    """A field that may also be ``None`` (``null`` in YAML); ``like``: a value of its type if the default is None."""
    return field(default=default, metadata={"nullable": True, "like": like})


def _data_formats():
    return tuple(FORMATS)


@dataclass
class DataConfig:
    format: str = choice("images", _data_formats)  # images (a folder of image files), or a family's format
    source: str = "images"  # where the data lie: a folder, a file, or a name the format knows
    val_fraction: float = 0.1
    test_fraction: float = 0.1  # images: held out when the folder has no test/ subfolder
    image_size: list = field(default_factory=lambda: [28, 28])  # (height, width) the models take
    channels: int = choice(1, (1, 3))  # 1 (greyscale) or 3 (colour)
    crop: bool = False  # images: cut the centre to the target's aspect ratio before resizing (faces)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (*self.image_size, self.channels)


@dataclass
class ModelSection:
    """What every model section holds: the family's name. Families extend it with their settings."""

    family: str = ""


@dataclass
class TrainingSection:
    """What every trainer takes. Families extend it with their loss weights and switches."""

    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    lr_schedule: str = choice("constant", ("constant", "cosine"))  # cosine: decays to 0 over the run
    seed: int = 0
    jit_compile: bool = False  # XLA is slower than plain graphs for the digit model on CPU (benchmarks/)
    time_budget_minutes: float = 0.0  # > 0: stop before the epoch that would end past this wall time


@dataclass
class RunConfig:
    """The whole config: ``for_family(name)`` gives a family's defaults, ``from_dict`` / ``load`` read one."""

    data: DataConfig
    model: ModelSection
    training: TrainingSection

    @classmethod
    def for_family(cls, name: str) -> RunConfig:
        """The defaults of the family ``name`` (or one of its aliases)."""
        family = get_family(name)
        return cls(family.data_config(), family.model_config(family=family.name), family.training_config())

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, origin: str = "config", family: str | None = None) -> RunConfig:
        """A config from its sections; ``model.family`` names the family (``family`` when the model
        section leaves it out). A setting the family has retired is dropped while it holds the value
        that kept it off; any other value is an error naming it."""
        _check_keys(data, {"data", "model", "training"}, origin)
        raw = {name: dict(data.get(name) or {}) for name in ("data", "model", "training")}
        name = raw["model"].get("family", family)
        if not name:
            raise ValueError(f"{origin}: model.family is missing; expected one of the families' names")
        found = get_family(name, where=f"{origin}: model.family")
        raw["model"]["family"] = found.name
        for dotted, off in getattr(found, "retired", {}).items():
            section, _, key = dotted.partition(".")
            if key in raw[section] and raw[section].pop(key) != off:
                raise ValueError(f"{origin}: {dotted} is no longer a setting of {found.name!r}; only {off!r} loads")
        types = {"data": found.data_config, "model": found.model_config, "training": found.training_config}
        sections = {name: _section(kind, raw[name], f"{origin}: {name}") for name, kind in types.items()}
        return cls(**sections)

    @classmethod
    def load(cls, path: str | Path, family: str | None = None) -> RunConfig:
        """Read a YAML or JSON config file (JSON is YAML, so one parser reads both)."""
        import yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such config file")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with sections data / model / training")
        return cls.from_dict(data, origin=str(path), family=family)

    def set(self, dotted: str, value, origin: str = "option") -> None:
        """Set ``section.key`` to ``value``, checked like a config file's value (for command-line overrides)."""
        section_name, _, key = dotted.partition(".")
        section = getattr(self, section_name, None) if section_name in ("data", "model", "training") else None
        if section is None or key not in {f.name for f in dataclasses.fields(section)}:
            known = [
                f"{name}.{f.name}"
                for name in ("data", "model", "training")
                for f in dataclasses.fields(getattr(self, name))
            ]
            raise ValueError(
                f"{origin}: {dotted!r} is not a setting of family {self.model.family!r}; expected one of {known}"
            )
        _check_value(f"{origin}: {dotted}", value, _field(type(section), key), getattr(type(section)(), key))
        setattr(section, key, value)


def _section(section_type, values, where: str):
    values = values or {}
    _check_keys(values, {f.name for f in dataclasses.fields(section_type)}, where)
    defaults = section_type()
    for key, value in values.items():
        _check_value(f"{where}.{key}", value, _field(section_type, key), getattr(defaults, key))
    return section_type(**values)


def _field(section_type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(section_type) if f.name == name)


def _check_keys(values, allowed: set, where: str) -> None:
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a mapping, got {values!r}")
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(allowed)}")


def _check_value(where: str, value, spec: dataclasses.Field, default) -> None:
    default = spec.metadata.get("like", default) if default is None else default
    if value is None:
        ok = spec.metadata.get("nullable", False)
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif default is None:
        ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, type(default)) and not isinstance(value, bool)
    if not ok:
        raise ValueError(f"{where} = {value!r}; expected a value like {default!r}")
    choices = spec.metadata.get("choices")
    choices = choices() if callable(choices) else choices
    if choices and value not in choices:
        raise ValueError(f"{where} = {value!r}; expected one of {list(choices)}")
