"""The family contract: everything a kind of model needs to be trained, saved and used.

A family names its config sections, reads its data, turns it into tf.data pipelines (fitting
its condition on the way), builds its named models, its trainer (a ``keras.Model`` subclass,
compiled with the optimizers it needs) and its callbacks, says which logged metric picks the
best epoch, and makes the inference object that the CLI, the latent tools and the server use.
The runner (``cvae_tf.runs``) and everything after it know families only through this class.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

from cvae_tf.config import DataConfig, ModelSection, TrainingSection

FAMILIES: dict[str, "Family"] = {}
ALIASES: dict[str, str] = {}  # short names: "mnist" for mnist_cvae
RENAMED: dict[str, str] = {}  # old names that still load, with a message naming the new one


@dataclass
class Prepared:
    """What training consumes: batched pipelines and the condition fitted on the training split."""

    train: Any  # tf.data.Dataset
    val: Any  # tf.data.Dataset
    condition: Any = None  # a cvae_tf.conditions.Condition, saved with the run; None if unconditional


class Family:
    """Subclass, set the class attributes, implement ``prepare``, ``build_models`` and ``build_trainer``,
    then ``register_family(YourFamily())``."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    renamed_from: ClassVar[tuple[str, ...]] = ()
    data_config: ClassVar[type] = DataConfig
    model_config: ClassVar[type] = ModelSection
    training_config: ClassVar[type] = TrainingSection
    monitor: ClassVar[str | None] = "val_loss"  # logged metric whose lowest value picks the saved epoch; None: the last
    description: ClassVar[str] = ""

    def load_data(self, config):
        """The splits that ``config.data`` names (by default through the registered data formats)."""
        from cvae_tf.data import load_data

        return load_data(config.data, config.training.seed)

    def prepare(self, config, data) -> Prepared:
        raise NotImplementedError

    def build_models(self, config) -> dict:
        """Role → functional ``keras.Model``; each is saved under its own ``name``."""
        raise NotImplementedError

    def build_trainer(self, config, models: dict, steps_per_epoch: int | None = None):
        """A compiled ``keras.Model`` whose ``fit`` trains ``models``."""
        raise NotImplementedError

    def callbacks(self, config) -> list:
        """The family's own schedules and switches, added to the runner's."""
        return []

    def inference(self, run):
        """The object that uses a saved run (``LatentGenerator``, ``ImageTranslator``), or None."""
        return None

    def evaluate(self, run, options) -> tuple[list, str]:
        """Score a saved run and write its report (``cvae-tf evaluate``; ``options`` holds the command's
        arguments): the files written, and a summary to print."""
        raise ValueError(f"{run.path}: cvae-tf evaluate has no report for the {self.name} family")


def register_family(family: Family) -> Family:
    """Makes ``family`` known to configs, ``cvae-tf train NAME``, manifests and the server."""
    FAMILIES[family.name] = family
    ALIASES.update({alias: family.name for alias in family.aliases})
    RENAMED.update({old: family.name for old in family.renamed_from})
    return family


def get_family(name: str, where: str = "model.family") -> Family:
    """The family called ``name`` (or by one of its short or former names)."""
    if name in RENAMED:
        warnings.warn(f"{where}: {name!r} is now called {RENAMED[name]!r}; loading it as that", stacklevel=2)
        name = RENAMED[name]
    name = ALIASES.get(name, name)
    if name not in FAMILIES:
        raise ValueError(f"{where} = {name!r}; expected one of {family_names()}")
    return FAMILIES[name]


def family_names(with_aliases: bool = False) -> list[str]:
    return sorted([*FAMILIES, *ALIASES] if with_aliases else FAMILIES)
