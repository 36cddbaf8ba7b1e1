"""The runner: any family's config → a saved run folder, resumable after an interruption.

While it trains, a run keeps its working state beside the output, in ``<DIR>.training/``:
the ``BackupAndRestore`` backup (weights, optimizers, epoch counter), the best weights so far
(by the family's ``monitor`` metric), the CSV log, TensorBoard events and the config it started with
(a resume with other settings is refused). When training
completes, the best weights are saved as a run folder (see ``saving``) and the working folder
is removed. A ``lock`` file there (host and process id) keeps a second training out of the same
output while the first runs. The runner names no family: the registered family supplies the recipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

from cvae_tf.core.config import RunConfig
from cvae_tf.core.distribute import fit_function, is_chief, run_facts, worker_dir
from cvae_tf.core.errors import RunError
from cvae_tf.core.registry import get_family
from cvae_tf.core.saving import atomic_file, write_run
from cvae_tf.core.training import LogLearningRate, StopOnNaN, TimeBudget

LOG = "training_log.csv"
STARTED_WITH = "config.json"  # in the working folder: the settings an interrupted run must resume with
# What a resume may change: how long the run goes on, how fast it computes, and where the data lies now.
RESUMABLE = {"training.epochs", "training.time_budget_minutes", "training.jit_compile", "data.source"}


def work_dir(output_dir: str | Path) -> Path:
    output_dir = Path(output_dir)
    return output_dir.with_name(output_dir.name + ".training")


@contextlib.contextmanager
def training_lock(work: Path):
    """Holds ``work/lock`` while training: a second training into the same output would overwrite the
    first's backup and best weights. A lock left by a process of this host that is gone is taken over."""
    work.mkdir(parents=True, exist_ok=True)
    lock, mine = work / "lock", f"{socket.gethostname()} {os.getpid()}"
    try:
        descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        holder = lock.read_text().strip()
        if _alive(holder):
            raise RunError(f"{work}: a training ({holder}) is writing here; wait for it, or delete {lock} if it died")
        lock.unlink(missing_ok=True)
        descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    with os.fdopen(descriptor, "w") as file:
        file.write(mine)
    try:
        yield
    finally:
        if lock.exists() and lock.read_text().strip() == mine:
            lock.unlink()


def _alive(holder: str) -> bool:
    """Whether the "host pid" of a lock names another live process (one on another host counts as live)."""
    host, _, pid = holder.rpartition(" ")
    if host != socket.gethostname():
        return True
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load_run_data(run, source=None):
    """The data a saved run was trained on (``source`` overrides where it lies now)."""
    return get_family(run.family_name).run_data(run, source)


def run_config(run) -> RunConfig:
    """The config a saved run was trained with."""
    return get_family(run.family_name).run_config(run)


def build_trainer(config: RunConfig, strategy=None, steps_per_epoch=None):
    """The family's named models and its compiled trainer, built under ``strategy``'s scope."""
    family = get_family(config.model.family)
    with (strategy or tf.distribute.get_strategy()).scope():
        keras.utils.set_random_seed(config.training.seed)
        models = family.build_models(config)
        trainer = family.build_trainer(config, models, steps_per_epoch)
    return models, trainer


def train(
    config: RunConfig,
    output_dir: str | Path,
    resume: bool = False,
    strategy: tf.distribute.Strategy | None = None,
    verbose: int | str = "auto",
    callbacks=(),
    data=None,
) -> dict:
    """Train ``config`` into ``output_dir``; returns the manifest that was saved with the run.

    With ``resume=True`` an interrupted run continues from its last completed epoch; without it,
    leftovers of an interrupted run are an error rather than silently thrown away. ``data``
    (already loaded splits) saves reading the config's source again.
    """
    chief = is_chief(strategy)  # under MultiWorkerMirroredStrategy only worker 0 writes beside the output
    work = work_dir(output_dir) if chief else worker_dir(output_dir)
    with training_lock(work):
        return _train(config, output_dir, work, chief, resume, strategy, verbose, callbacks, data)


def _train(config, output_dir, work, chief, resume, strategy, verbose, callbacks, data) -> dict:
    family = get_family(config.model.family)
    if (work / "backup").exists() and not resume:
        raise RunError(f"{work} holds an interrupted run; resume it (--resume / resume=True) or delete that folder")
    _check_started_with(work, config, family)
    data = data if data is not None else family.load_data(config)
    prepared = family.prepare(config, data)
    steps = int(prepared.train.cardinality())
    models, trainer = build_trainer(config, strategy, steps)
    monitor = family.monitor
    history_callbacks = [
        LogLearningRate(),
        *family.callbacks(config),
        *([TimeBudget(config.training.time_budget_minutes)] if config.training.time_budget_minutes > 0 else []),
        StopOnNaN(),
        *_best_checkpoint(work, monitor),
        keras.callbacks.CSVLogger(work / LOG, append=True),
        keras.callbacks.TensorBoard(work / "tensorboard"),
        *callbacks,
        keras.callbacks.BackupAndRestore(work / "backup"),
    ]
    started = time.perf_counter()
    # One iterator for the whole run, over the batches repeated (each pass reshuffled) and cut into
    # epochs by the step count: closing tf.data's iterator at every epoch's end, as Keras does with
    # a finite dataset, stalled most epochs by 30-40 s with the CPU idle (benchmarks/RESULTS.md).
    batches, steps_per_epoch = (prepared.train.repeat(), steps) if steps > 0 else (prepared.train, None)
    fit = fit_function(trainer, strategy, config)  # trainer.fit, or the multi-worker loop
    fit(
        batches,
        validation_data=prepared.val,
        epochs=config.training.epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=history_callbacks,
        verbose=verbose,
        shuffle=False,  # the pipeline shuffles (seeded) itself
    )
    seconds = time.perf_counter() - started
    log = _clean_log(work / LOG)
    if monitor and (work / "best.weights.h5").exists():
        trainer.load_weights(work / "best.weights.h5")
    finished = family.after_training(config, models, prepared)
    best = log.loc[log[monitor].idxmin()] if monitor else log.iloc[-1]
    manifest = {
        "family": family.name,
        "config": config.to_dict(),
        "data": {"source": str(data.source), "train": len(data.train), "val": len(data.val)},
        "epochs_completed": int(log["epoch"].max()) + 1,
        "best_epoch": int(best["epoch"]) + 1,
        "monitor": monitor,
        "final_metrics": _metrics(log.iloc[-1]),
        "best_metrics": _metrics(best),
        "seconds_this_session": round(seconds, 1),
        **run_facts(strategy, models),
        **finished,
    }
    copy = {LOG: work / LOG, "tensorboard": work / "tensorboard"}
    if chief:
        write_run(output_dir, models, manifest, condition=prepared.condition, copy=copy)
    shutil.rmtree(work, ignore_errors=True)
    return manifest


def _check_started_with(work: Path, config: RunConfig, family) -> None:
    """An interrupted run goes on only with the settings it started with: other settings would rebuild
    other models, or carry on its weights under another recipe, without a word. A new run records them."""
    path = work / STARTED_WITH
    if not ((work / "backup").exists() and path.exists()):
        with atomic_file(path) as temporary:
            temporary.write_text(json.dumps(config.to_dict(), indent=2))
        return
    started = family.saved_settings(json.loads(path.read_text()))
    changed = [
        f"{name}.{key}: {before!r} → {value!r}"
        for name, section in config.to_dict().items()
        for key, value in section.items()
        if f"{name}.{key}" not in RESUMABLE and (before := started.get(name, {}).get(key)) != value
    ]
    if changed:
        raise RunError(
            f"{work} holds a run started with other settings ({'; '.join(changed)}); resume it with the "
            f"settings in {path} (only {', '.join(sorted(RESUMABLE))} may change), or delete {work} to start over"
        )


def _best_checkpoint(work: Path, monitor: str | None) -> list:
    """The callback that keeps the best weights by ``monitor``; none when the family keeps the last epoch."""
    if not monitor:
        return []
    best = keras.callbacks.ModelCheckpoint(
        work / "best.weights.h5",
        monitor=monitor,
        mode="min",
        save_best_only=True,
        save_weights_only=True,
        initial_value_threshold=_best_logged(work / LOG, monitor),
    )
    return [best]


def _best_logged(log_path: Path, monitor: str):
    """The best monitored value an interrupted run already reached, so a resume does not forget it."""
    if not log_path.exists() or log_path.stat().st_size == 0:
        return None
    return float(pd.read_csv(log_path)[monitor].min())


def _clean_log(log_path: Path) -> pd.DataFrame:
    """The CSV log with one row per epoch (a resume may repeat the epoch it was cut in)."""
    log = pd.read_csv(log_path).drop_duplicates("epoch", keep="last").sort_values("epoch")
    log.to_csv(log_path, index=False)
    return log


def _metrics(row) -> dict:
    return {key: float(value) for key, value in row.items() if key != "epoch"}
