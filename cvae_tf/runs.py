"""A training run from a config to a saved run folder, resumable after an interruption.

While it trains, a run keeps its working state beside the output, in ``<DIR>.training/``:
the ``BackupAndRestore`` backup (weights, optimizer, epoch counter), the best weights so far,
the CSV log and TensorBoard events. When training completes, the best weights are saved as a
run folder (see ``saving``) and the working folder is removed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import keras
import pandas as pd
import tensorflow as tf

from cvae_tf.conditions import WhiteRatioCondition
from cvae_tf.config import RunConfig
from cvae_tf.data import load_mnist, make_dataset
from cvae_tf.errors import RunError
from cvae_tf.models import build_models, family
from cvae_tf.saving import CONDITIONS, write_run
from cvae_tf.training import GreyLossSwitch, LogLearningRate, StopOnNaN, VAETrainer

LOG = "training_log.csv"


def work_dir(output_dir: str | Path) -> Path:
    output_dir = Path(output_dir)
    return output_dir.with_name(output_dir.name + ".training")


def load_data(config: RunConfig):
    """The data a config names: MNIST (any of its sources) or a folder of images."""
    data = config.data
    if data.format == "images":
        from cvae_tf.data.folders import load_image_folder

        fractions = (1.0 - data.val_fraction - data.test_fraction, data.val_fraction, data.test_fraction)
        return load_image_folder(
            data.source,
            image_size=tuple(data.image_size),
            channels=data.channels,
            fractions=fractions,
            seed=config.training.seed,
            crop=data.crop,
        )
    return load_mnist(data.source, val_fraction=data.val_fraction, seed=config.training.seed)


def load_run_data(run, source=None):
    """The data a saved run was trained on (``source`` overrides where it lies now)."""
    config = RunConfig.from_dict(run.manifest["config"], origin=f"{run.path}/manifest.json")
    if source is not None:
        config.data.source = str(source)
    try:
        return load_data(config)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{err} (the run was trained on it; pass --data to say where it is now)") from None


def prepare_data(config: RunConfig):
    """Loaded data, the fitted condition (None for unconditional families), train / validation pipelines."""
    data = load_data(config)
    condition = None
    if family(config.model.family).CONDITIONAL:
        condition = WhiteRatioCondition.fit(data.train.images, data.train.labels)

    def conditions_of(split):
        return None if condition is None else condition.encode(split.images, split.labels)

    batch_size, seed = config.training.batch_size, config.training.seed
    train = make_dataset(data.train.images, conditions_of(data.train), batch_size, shuffle=True, seed=seed)
    val = make_dataset(data.val.images, conditions_of(data.val), batch_size)
    return data, condition, train, val


def image_shape_of(images) -> tuple:
    """(height, width, channels) of a uint8 image array of shape (N, H, W) or (N, H, W, C)."""
    shape = tuple(images.shape[1:])
    return shape if len(shape) == 3 else (*shape, 1)


def build_trainer(config: RunConfig, strategy=None, image_shape=(28, 28, 1), steps_per_epoch=None):
    """The named models and their trainer, compiled, built under ``strategy``'s scope."""
    strategy = strategy or tf.distribute.get_strategy()
    training = config.training
    learning_rate = training.learning_rate
    if training.lr_schedule == "cosine":
        # A function of the optimizer's step count, which BackupAndRestore restores on resume.
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, training.epochs * (steps_per_epoch or 1))
    with strategy.scope():
        keras.utils.set_random_seed(training.seed)
        models = build_models(config.model, image_shape)
        trainer = VAETrainer(models["encoder"], models["decoder"], grey_weight=training.objective_grey_weight)
        trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=training.jit_compile)
    return models, trainer


def train(
    config: RunConfig,
    output_dir: str | Path,
    resume: bool = False,
    strategy: tf.distribute.Strategy | None = None,
    verbose: int | str = "auto",
    callbacks=(),
) -> dict:
    """Train ``config`` into ``output_dir``; returns the manifest that was saved with the run.

    With ``resume=True`` an interrupted run continues from its last completed epoch; without it,
    leftovers of an interrupted run are an error rather than silently thrown away.
    """
    work = work_dir(output_dir)
    if (work / "backup").exists() and not resume:
        raise RunError(f"{work} holds an interrupted run; resume it (--resume / resume=True) or delete that folder")
    work.mkdir(parents=True, exist_ok=True)
    data, condition, train_ds, val_ds = prepare_data(config)
    steps = int(train_ds.cardinality())
    models, trainer = build_trainer(config, strategy, image_shape_of(data.train.images), steps)

    history_callbacks = [
        LogLearningRate(),
        GreyLossSwitch(config.training.grey_from_epoch),
        StopOnNaN(),
        keras.callbacks.ModelCheckpoint(
            work / "best.weights.h5",
            monitor="val_loss",
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=_best_logged(work / LOG),
        ),
        keras.callbacks.CSVLogger(work / LOG, append=True),
        keras.callbacks.TensorBoard(work / "tensorboard"),
        *callbacks,
        keras.callbacks.BackupAndRestore(work / "backup"),
    ]
    started = time.perf_counter()
    trainer.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.training.epochs,
        callbacks=history_callbacks,
        verbose=verbose,
        shuffle=False,  # the pipeline shuffles (seeded) itself
    )
    seconds = time.perf_counter() - started
    log = _clean_log(work / LOG)
    if (work / "best.weights.h5").exists():
        trainer.load_weights(work / "best.weights.h5")
    best = log.loc[log["val_loss"].idxmin()]
    manifest = {
        "family": config.model.family,
        "config": config.to_dict(),
        "data": {"source": str(data.source), "train": len(data.train), "val": len(data.val)},
        "epochs_completed": int(log["epoch"].max()) + 1,
        "best_epoch": int(best["epoch"]) + 1,
        "final_metrics": _metrics(log.iloc[-1]),
        "best_metrics": _metrics(best),
        "seconds_this_session": round(seconds, 1),
    }
    write_run(
        output_dir,
        models,
        manifest,
        json_files={CONDITIONS: condition.to_dict()} if condition else None,
        copy={LOG: work / LOG, "tensorboard": work / "tensorboard"},
    )
    shutil.rmtree(work, ignore_errors=True)
    return manifest


def _best_logged(log_path: Path):
    """The best validation loss an interrupted run already reached, so a resume does not forget it."""
    if not log_path.exists() or log_path.stat().st_size == 0:
        return None
    return float(pd.read_csv(log_path)["val_loss"].min())


def _clean_log(log_path: Path) -> pd.DataFrame:
    """The CSV log with one row per epoch (a resume may repeat the epoch it was cut in)."""
    log = pd.read_csv(log_path).drop_duplicates("epoch", keep="last").sort_values("epoch")
    log.to_csv(log_path, index=False)
    return log


def _metrics(row) -> dict:
    return {key: float(value) for key, value in row.items() if key != "epoch"}
