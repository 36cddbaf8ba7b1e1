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

DEFAULT_FAMILY = "mnist_cvae"


def choice(default, choices, **kwargs):
    """A field whose value must be one of ``choices`` (a tuple, or a function giving one)."""
    return field(default=default, metadata={"choices": choices}, **kwargs)


def nullable(default, like=None):
    """A field that may also be ``None`` (``null`` in YAML); ``like``: a value of its type if the default is None."""
    return field(default=default, metadata={"nullable": True, "like": like})


def _data_formats():
    from cvae_tf.data.sources import FORMATS

    return tuple(FORMATS)


@dataclass
class DataConfig:
    format: str = choice("mnist", _data_formats)  # mnist, images (a folder of image files), or a family's format
    source: str = "sample"  # mnist: "sample", "keras", a Kaggle CSV file or a folder of IDX / CSV files
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

    family: str = DEFAULT_FAMILY


@dataclass
class TrainingSection:
    """What every trainer takes. Families extend it with their loss weights and switches."""

    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    lr_schedule: str = choice("constant", ("constant", "cosine"))  # cosine: decays to 0 over the run
    seed: int = 0
    jit_compile: bool = False  # XLA is slower than plain graphs for the digit model on CPU (benchmarks/)


@dataclass
class RunConfig:
    """The whole config; ``RunConfig()`` is the default family's defaults, ``for_family`` another's."""

    data: DataConfig = None
    model: ModelSection = None
    training: TrainingSection = None

    def __post_init__(self):
        if self.model is None or self.training is None or self.data is None:
            defaults = RunConfig.for_family(getattr(self.model, "family", DEFAULT_FAMILY))
            self.data = self.data or defaults.data
            self.model = self.model or defaults.model
            self.training = self.training or defaults.training

    @classmethod
    def for_family(cls, name: str) -> "RunConfig":
        """The defaults of the family ``name`` (or one of its aliases)."""
        from cvae_tf.families import get_family

        family = get_family(name)
        return cls(family.data_config(), family.model_config(family=family.name), family.training_config())

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, origin: str = "config") -> "RunConfig":
        from cvae_tf.families import get_family

        _check_keys(data, {"data", "model", "training"}, origin)
        model = dict(data.get("model") or {})
        family = get_family(model.get("family", DEFAULT_FAMILY), where=f"{origin}: model.family")
        model["family"] = family.name
        types = {"data": family.data_config, "model": family.model_config, "training": family.training_config}
        sections = {
            name: _section(section_type, model if name == "model" else data.get(name), f"{origin}: {name}")
            for name, section_type in types.items()
        }
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
