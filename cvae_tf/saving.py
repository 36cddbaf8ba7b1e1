"""Run folders: named models as ``.keras`` files and SavedModel directories, plus a manifest.

A run folder is written whole into a temporary sibling and renamed into place, so a crash or an
interrupt never leaves half a model where a reader would look. Everything that uses a trained
model (generation, evaluation, serving) reads only what ``write_run`` wrote.

Layout::

    DIR/
      manifest.json                  config, epochs, metrics, versions, model names by role
      conditions.json                the fitted condition, tagged with its kind (conditional families)
      training_log.csv, tensorboard/ one row per epoch; TensorBoard event files
      <model>.keras                  Keras format: keras.saving.load_model(path, safe_mode=True)
      <model>/                       SavedModel: tf.saved_model.load, TF Serving (serving_default)
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import keras

import cvae_tf.models.layers  # noqa: F401  (registers the custom layers before any load)
import cvae_tf.models.pix2pix  # noqa: F401  (ReflectionPadding2D, InstanceNormalization)
from cvae_tf.conditions import CONDITIONS, load_condition  # noqa: F401  (CONDITIONS: the file's name)
from cvae_tf.errors import RunError

MANIFEST = "manifest.json"


@contextlib.contextmanager
def atomic_folder(target: str | Path):
    """Yields a fresh temporary folder that replaces ``target`` only if the block completes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    temporary.mkdir()
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    previous = None
    if target.exists():
        previous = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        target.rename(previous)
    temporary.rename(target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def atomic_file(target: str | Path):
    """Yields a temporary path beside ``target`` that is renamed onto it if the block completes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}{target.suffix}"
    try:
        yield temporary
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def write_run(output_dir, models: dict[str, keras.Model], manifest: dict, condition=None, copy=None) -> Path:
    """Save ``models`` (role → model) in both formats with ``manifest`` into ``output_dir``, atomically.

    ``condition`` (a ``Condition``) saves itself beside them; ``copy`` maps names to existing
    files or folders to bring along (logs).
    """
    output_dir = Path(output_dir)
    with atomic_folder(output_dir) as folder:
        for model in models.values():
            model.save(folder / f"{model.name}.keras")
            model.export(folder / model.name, format="tf_saved_model", verbose=False)
        if condition is not None:
            condition.save(folder)
        for name, source in (copy or {}).items():
            source = Path(source)
            if source.is_dir():
                shutil.copytree(source, folder / name)
            elif source.exists():
                shutil.copy2(source, folder / name)
        manifest = {**manifest, "models": {role: model.name for role, model in models.items()}, "versions": versions()}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return output_dir


def update_manifest(folder, **entries) -> None:
    """Add ``entries`` (e.g. a score measured after training) to a run's manifest, atomically."""
    path = Path(folder) / MANIFEST
    manifest = {**json.loads(path.read_text()), **entries}
    with atomic_file(path) as temporary:
        temporary.write_text(json.dumps(manifest, indent=2, default=str))


def versions() -> dict:
    import numpy
    import tensorflow

    from cvae_tf import __version__

    return {
        "cvae_tf": __version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


@dataclass
class SavedRun:
    """A run folder opened for use; models load on first access (``.keras``, ``safe_mode=True``)."""

    path: Path
    manifest: dict
    _models: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: str | Path) -> "SavedRun":
        path = Path(path)
        if not (path / MANIFEST).exists():
            raise RunError(f"{path}: not a saved run (no {MANIFEST}); expected a folder written by 'cvae-tf train'")
        return cls(path=path, manifest=json.loads((path / MANIFEST).read_text()))

    def model(self, role: str) -> keras.Model:
        """The model for ``role`` ("encoder", "decoder", "full"), loaded from its ``.keras`` file."""
        names = self.manifest["models"]
        if role not in names:
            raise KeyError(f"{self.path}: no {role!r} model; this run has {sorted(names)}")
        if role not in self._models:
            self._models[role] = keras.saving.load_model(self.path / f"{names[role]}.keras", safe_mode=True)
        return self._models[role]

    @property
    def encoder(self) -> keras.Model:
        return self.model("encoder")

    @property
    def decoder(self) -> keras.Model:
        return self.model("decoder")

    @cached_property
    def condition(self):
        """The saved ``Condition`` (loaded by its kind tag), or None for an unconditional run."""
        return load_condition(self.path)

    @property
    def family(self):
        """The run's family (a manifest naming a former family name loads under the new one)."""
        from cvae_tf.families import get_family

        return get_family(self.manifest.get("family", "mnist_cvae"), where=f"{self.path}/{MANIFEST}: family")

    @property
    def latent_dim(self) -> int:
        return int(self.manifest["config"]["model"]["latent_dim"])
