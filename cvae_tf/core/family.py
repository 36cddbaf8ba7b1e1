"""The family contract: everything a kind of model needs to be trained, saved, used and judged.

A family names its config sections, reads its data, turns it into tf.data pipelines (fitting
its condition on the way), builds its named models, its trainer (a ``keras.Model`` subclass,
compiled with the optimizers it needs) and its callbacks, and says which logged metric picks the
best epoch. For the front ends it makes the inference object (``LatentGenerator``,
``ImageTranslator``), draws ``test_output.png``, names the values of a sample request, adds its
command-line flags and commands, and scores a saved run. The runner (``cvae_tf.core.runs``), the
CLI and the server know families only through this class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from cvae_tf.core.config import DataConfig, ModelSection, RunConfig, TrainingSection
from cvae_tf.core.data import load_data
from cvae_tf.core.registry import ALIASES, FAMILIES, RENAMED, family_names, get_family
from cvae_tf.core.registry import register_family as _register

__all__ = ["ALIASES", "FAMILIES", "RENAMED", "Family", "Prepared", "family_names", "get_family", "register_family"]


@dataclass
class Prepared:
    """What training consumes: batched pipelines and the condition fitted on the training split."""

    train: Any  # tf.data.Dataset
    val: Any  # tf.data.Dataset
    condition: Any = None  # a cvae_tf.core.conditions.Condition, saved with the run; None if unconditional


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
    # Settings the family no longer has ("section.key" → the value that kept them off): a saved run's
    # config that holds them at that value still loads.
    retired: ClassVar[dict[str, Any]] = {}
    # Settings added after runs were saved ("section.key" → the value those runs were trained with): a
    # saved run's config without one reads as that value, not as today's default.
    introduced: ClassVar[dict[str, Any]] = {}
    # Functions ``add(commands)`` that add the family's own subcommands to ``cvae-tf``.
    commands: ClassVar[tuple] = ()

    # --- training ---------------------------------------------------------------------------

    def load_data(self, config):
        """The splits that ``config.data`` names (by default through the registered data formats)."""
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

    def after_training(self, config, models: dict, prepared: Prepared) -> dict:
        """A last step on the trained models, before they are saved; returns entries for the manifest."""
        return {}

    # --- using a saved run --------------------------------------------------------------------

    def run_config(self, run) -> RunConfig:
        """The config a saved run was trained with, read back from its manifest."""
        return RunConfig.from_dict(self.saved_settings(run.manifest["config"]), origin=f"{run.path}/manifest.json")

    def saved_settings(self, saved: dict) -> dict:
        """A config saved by a run (sections of settings), with each ``introduced`` setting it lacks filled in."""
        saved = {name: dict(section or {}) for name, section in saved.items()}
        for dotted, value in self.introduced.items():
            section, _, key = dotted.partition(".")
            saved.setdefault(section, {}).setdefault(key, value)
        return saved

    def run_data(self, run, source=None):
        """The data a saved run was trained on (``source`` overrides where it lies now)."""
        config = self.run_config(run)
        if source is not None:
            config.data.source = str(source)
        try:
            return self.load_data(config)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{err} (the run was trained on it; pass --data to say where it is now)") from None

    def inference(self, run):
        """The object that uses a saved run (``LatentGenerator``, ``ImageTranslator``), or None."""
        return None

    def sample_request(self, n: int | None, seed: int = 0, per_class: int = 100, values=None) -> tuple[int, dict]:
        """The size of a batch of samples (``cvae-tf sample``) and the named condition values to draw
        it with: ``n`` images, or ``per_class`` of each class where ``n`` is None; ``values`` fixes
        some fields."""
        raise ValueError(f"the {self.name} family draws no samples")

    def sample_arrays(self, values: dict) -> dict:
        """The request's values as the arrays ``cvae-tf sample`` saves beside the images."""
        return {name: np.asarray(value) for name, value in values.items()}

    def write_test_output(self, run, path, seed: int = 0, values=None, per_class: int = 8) -> list:
        """Draw ``test_output.png`` (and any figure beside it) for a saved run; the files written."""
        raise ValueError(f"{run.path}: the {self.name} family draws no test output")

    # --- evaluation -------------------------------------------------------------------------------

    @property
    def evaluates(self) -> bool:
        """Whether ``evaluate`` has a report for this family."""
        return type(self).evaluate is not Family.evaluate

    def add_evaluate_arguments(self, parser) -> None:
        """Add the family's own ``cvae-tf evaluate`` flags (the CLI adds --data, --seed and --output)."""

    def evaluate(self, run, data, options) -> tuple[list, str]:
        """Score a saved run on ``data`` (its splits, loaded by the front end) and write its report;
        ``options`` holds the evaluate flags. The files written, and a summary to print."""
        raise ValueError(f"{run.path}: cvae-tf evaluate has no report for the {self.name} family")


def register_family(family: Family) -> Family:
    """Makes ``family`` known to configs, ``cvae-tf train NAME``, manifests and the server."""
    return _register(family)
