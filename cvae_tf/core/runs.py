"""The runner: any family's config → a saved run folder, resumable after an interruption.

While it trains, a run keeps its working state beside the output, in ``<DIR>.training/``:
the ``BackupAndRestore`` backup (weights, optimizers, epoch counter), the best weights so far
(by the family's ``monitor`` metric), the CSV log and TensorBoard events. When training
completes, the best weights are saved as a run folder (see ``saving``) and the working folder
is removed. A ``lock`` file there (host and process id) keeps a second training out of the same
output while the first runs. The runner names no family: the registered family supplies the recipe.
"""

from __future__ import annotations

import contextlib
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
from cvae_tf.core.saving import write_run
from cvae_tf.core.training import LogLearningRate, StopOnNaN, TimeBudget

LOG = "training_log.csv"


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
    }
    copy = {LOG: work / LOG, "tensorboard": work / "tensorboard"}
    if chief:
        write_run(output_dir, models, manifest, condition=prepared.condition, copy=copy)
    shutil.rmtree(work, ignore_errors=True)
    return manifest


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
