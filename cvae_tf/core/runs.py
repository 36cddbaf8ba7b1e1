"""The runner: any family's config → a saved run folder, resumable after an interruption.

While it trains, a run keeps its working state beside the output, in ``<DIR>.training/``:
the ``BackupAndRestore`` backup (weights, optimizers, epoch counter), the best weights so far
(by the family's ``monitor`` metric), the CSV log and TensorBoard events. When training
completes, the best weights are saved as a run folder (see ``saving``) and the working folder
is removed. The runner names no family: the registered family supplies the recipe.
"""

from __future__ import annotations

import shutil
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
from cvae_tf.core.training import LogLearningRate, StopOnNaN

LOG = "training_log.csv"


def work_dir(output_dir: str | Path) -> Path:
    output_dir = Path(output_dir)
    return output_dir.with_name(output_dir.name + ".training")


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
    family = get_family(config.model.family)
    chief = is_chief(strategy)  # under MultiWorkerMirroredStrategy only worker 0 writes beside the output
    work = work_dir(output_dir) if chief else worker_dir(output_dir)
    if (work / "backup").exists() and not resume:
        raise RunError(f"{work} holds an interrupted run; resume it (--resume / resume=True) or delete that folder")
    work.mkdir(parents=True, exist_ok=True)
    data = data if data is not None else family.load_data(config)
    prepared = family.prepare(config, data)
    steps = int(prepared.train.cardinality())
    models, trainer = build_trainer(config, strategy, steps)
    monitor = family.monitor
    history_callbacks = [
        LogLearningRate(),
        *family.callbacks(config),
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
