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
import numpy as np

import cvae_tf.core.layers  # noqa: F401  (registers the custom layers before any load)
from cvae_tf.core.conditions import CONDITIONS, load_condition  # noqa: F401  (CONDITIONS: the file's name)
from cvae_tf.core.errors import RunError
from cvae_tf.core.registry import get_family

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
    from importlib.metadata import PackageNotFoundError, version

    import numpy
    import tensorflow

    try:
        own = version("cvae_tf")
    except PackageNotFoundError:  # run from a source tree that was never installed
        own = "unknown"
    return {
        "cvae_tf": own,
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
    def family_name(self) -> str:
        """The name of the family that trained the run, as its manifest gives it."""
        return self.manifest.get("family") or self.manifest["config"]["model"]["family"]

    @property
    def family(self):
        """The run's registered family (a manifest naming a former family name loads under the new one)."""
        return get_family(self.family_name, where=f"{self.path}/{MANIFEST}: family")

    @property
    def latent_dim(self) -> int:
        return int(self.manifest["config"]["model"]["latent_dim"])


def save_samples(path: str | Path, images: np.ndarray, **arrays) -> Path:
    """Write ``images`` float32 and the named request ``arrays`` (labels, white, …) to an .npz, atomically."""
    with atomic_file(path) as temporary:
        with open(temporary, "wb") as stream:
            np.savez_compressed(stream, images=np.asarray(images, np.float32), **arrays)
    return Path(path)
