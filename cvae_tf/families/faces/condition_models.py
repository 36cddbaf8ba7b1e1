"""The face C-VAE's condition models: four small CNNs that read a face's conditions, and their trainer.

``classify_male_or_female`` (softmax: P(male), P(female)), ``regression_hair_color`` (1 dark … 0
light), ``regression_mouth`` (1 wide open … 0 closed) and ``regression_eyes`` (1 wide open … 0 closed)
each take ``{"image": (H, W, 3) float in [0, 1]}``, are trained on the faces labelled for their
target (NaN = unlabelled, see ``cvae_tf.families.faces.data.condition_targets``) and saved under their
own name, so that every face, labelled or not, gets predicted conditions for the C-VAE.

Each has its own convolutional trunk (four strided stages with batch norm and a global average);
the four train together in one trainer, each on its own loss, in minutes on a laptop CPU. Batch
norm uses momentum 0.9: with Keras' default 0.99 the inference statistics lag a short run and the
regressors predicted the mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers, ops

from cvae_tf.core.inference import as_model_input, compiled, in_batches

SEX_MODEL = "classify_male_or_female"
REGRESSION_MODELS = {"regression_hair_color": "hair", "regression_mouth": "mouth", "regression_eyes": "eyes"}
MODEL_NAMES = (SEX_MODEL, *REGRESSION_MODELS)
TARGET_OF = {SEX_MODEL: "male", **REGRESSION_MODELS}
CONDITION_COLUMNS = ("male", "hair", "mouth", "eyes")  # predict_conditions' columns


def build_condition_models(
    image_size=(64, 64), widths=(32, 64, 128, 256), shared_trunk: bool = False
) -> dict[str, keras.Model]:
    """The four models by name, each a functional model ``{"image"} → output`` saved on its own.

    Each has its own trunk by default. ``shared_trunk=True`` gives the four one trunk that learns
    from all four targets. It trained no faster on CelebA (each model still runs the trunk), and
    the summed loss is mostly the sex term's: the eyes, a target whose variance is 0.04, were read
    worse (MSE ratio 0.85 shared against 0.62 apart, both on shifted faces; benchmarks/RESULTS.md).
    """
    shared = conv_trunk(image_size, widths, "face_trunk") if shared_trunk else None
    models = {}
    for name in MODEL_NAMES:
        image = keras.Input((*image_size, 3), name="image")
        trunk = shared if shared_trunk else conv_trunk(image_size, widths, f"{name}_trunk")
        features = layers.Dropout(0.25)(trunk(image))
        if name == SEX_MODEL:
            output = layers.Dense(2, activation="softmax", name="sex")(features)
        else:
            output = layers.Dense(1, activation="sigmoid", name=TARGET_OF[name])(features)
        models[name] = keras.Model({"image": image}, output, name=name)
    return models


def conv_trunk(image_size, widths, name: str) -> keras.Model:
    """Strided convolution stages with batch norm, ending in a global average of the features."""
    inputs = keras.Input((*image_size, 3))
    x = inputs
    for stage, width in enumerate(widths):
        x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        if stage > 0:
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, x, name=name)


# ------------------------------------------------------------------------------------------- training


class ConditionModelsTrainer(keras.Model):
    """Trains the four condition models at once: each loss counts only the faces labelled for it.

    Batches are ``{"image": (B, H, W, 3), "targets": (B, 4)}`` with NaN for unlabelled. One summed
    loss trains each model on its own term (and a shared trunk, if any, on all four).
    """

    def __init__(self, models: dict, **kwargs):
        super().__init__(**kwargs)
        self.condition_models = [models[name] for name in MODEL_NAMES]
        names = ("loss", "sex_accuracy", "hair_mse", "mouth_mse", "eyes_mse")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def terms(self, data, training):
        image, targets = data["image"], data["targets"]
        labelled = ops.logical_not(ops.isnan(targets))
        weights = ops.cast(labelled, "float32")
        clean = ops.where(labelled, targets, 0.0)
        outputs = [model({"image": image}, training=training) for model in self.condition_models]
        p_male = ops.clip(outputs[0][:, 0], 1e-6, 1 - 1e-6)
        male = clean[:, 0]
        cross_entropy = -(male * ops.log(p_male) + (1 - male) * ops.log(1 - p_male))
        errors = [ops.square(output[:, 0] - clean[:, i + 1]) for i, output in enumerate(outputs[1:])]
        terms = [cross_entropy, *errors]
        means = [ops.sum(t * weights[:, i]) / ops.maximum(ops.sum(weights[:, i]), 1.0) for i, t in enumerate(terms)]
        correct = ops.cast((p_male > 0.5) == (male > 0.5), "float32")
        accuracy = ops.sum(correct * weights[:, 0]) / ops.maximum(ops.sum(weights[:, 0]), 1.0)
        return ops.sum(ops.stack(means)), accuracy, means[1:]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, accuracy, errors = self.terms(data, training=True)
            share = loss / tf.distribute.get_strategy().num_replicas_in_sync  # gradients are summed over replicas
        self.optimizer.apply(tape.gradient(share, self.trainable_weights), self.trainable_weights)
        return self._record(loss, accuracy, errors)

    def test_step(self, data):
        return self._record(*self.terms(data, training=False))

    def _record(self, loss, accuracy, errors):
        for name, value in zip(self.trackers, (loss, accuracy, *errors)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def compile_trainer(models, learning_rate) -> "ConditionModelsTrainer":
    trainer = ConditionModelsTrainer(models)
    trainer.compile(optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=1e-4))
    return trainer


# ---------------------------------------------------------------------------- prediction and scoring


def conditions_model(models) -> keras.Model:
    """The four as one frozen model, ``{"image"}`` → (B, 4) [P(male), hair, mouth, eyes]: what the face
    condition reads from a face and what the C-VAE's control term judges with. Not saved (the four are)."""
    models = _by_name(models)
    image = keras.Input(models[SEX_MODEL].input["image"].shape[1:], name="image")
    outputs = [models[name]({"image": image}) for name in MODEL_NAMES]
    reader = keras.Model({"image": image}, ops.concatenate([outputs[0][:, :1], *outputs[1:]], axis=1))
    reader.trainable = False
    return reader


def predict_conditions(models, images, batch_size: int = 256, reader=None) -> np.ndarray:
    """(N, 4) float32 conditions [P(male), hair, mouth, eyes] of ``images`` (uint8 0-255 or float 0-1),
    through one fixed-signature ``tf.function``. It is traced per call unless ``reader``
    (``compiled(conditions_model(models))``) is given, as ``FaceAttributes`` keeps one."""
    reader = reader or compiled(conditions_model(models))
    return in_batches(reader, {"image": as_model_input(images)}, batch_size).astype(np.float32)


def evaluate_condition_models(models, split, reference=None) -> pd.DataFrame:
    """Score the models on ``split``: one row per model, on the faces labelled for its target.

    Columns: ``n``; ``mse``; ``mean_mse`` (the MSE of always predicting the mean target of
    ``reference``, the training split, or of ``split`` itself when none is given); ``ratio`` =
    mse / mean_mse (below 1 beats the mean); ``accuracy`` at the threshold 0.5 and
    ``balanced_accuracy`` (the mean of the recalls on both sides, fair for rare labels such as
    closed eyes), both over faces whose target is not exactly 0.5. For the sex classifier the
    prediction is P(male).
    """
    predictions = predict_conditions(models, split.images)
    reference = split if reference is None else reference
    rows = {}
    for column, name in enumerate(MODEL_NAMES):
        target = split.targets[TARGET_OF[name]].to_numpy(np.float64)
        keep = ~np.isnan(target)
        mean = np.nanmean(reference.targets[TARGET_OF[name]].to_numpy(np.float64))
        rows[name] = _scores(target[keep], predictions[keep, column].astype(np.float64), mean)
    return pd.DataFrame.from_dict(rows, orient="index")


def _scores(target: np.ndarray, predicted: np.ndarray, mean: float) -> dict:
    mse = float(np.mean((predicted - target) ** 2)) if len(target) else np.nan
    mean_mse = float(np.mean((mean - target) ** 2)) if len(target) else np.nan
    decided = target != 0.5
    truth, guess = target[decided] > 0.5, predicted[decided] > 0.5
    recalls = [np.mean(guess[truth == side] == side) for side in (True, False) if np.any(truth == side)]
    return {
        "n": len(target),
        "mse": mse,
        "mean_mse": mean_mse,
        "ratio": mse / mean_mse if mean_mse else np.nan,
        "accuracy": float(np.mean(truth == guess)) if len(truth) else np.nan,
        "balanced_accuracy": float(np.mean(recalls)) if recalls else np.nan,
    }


def save_condition_models(models, folder) -> list[Path]:
    """Save each model as ``folder/<name>.keras``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in _by_name(models).items():
        paths.append(folder / f"{name}.keras")
        model.save(paths[-1])
    return paths


def load_condition_models(folder) -> dict[str, keras.Model]:
    """The four models saved by ``save_condition_models`` (safe mode: no code is loaded)."""
    folder = Path(folder)
    missing = [name for name in MODEL_NAMES if not (folder / f"{name}.keras").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no {', '.join(n + '.keras' for n in missing)}; train the condition models")
    return {name: keras.saving.load_model(folder / f"{name}.keras", safe_mode=True) for name in MODEL_NAMES}


def _by_name(models) -> dict[str, keras.Model]:
    if isinstance(models, Mapping):
        missing = [name for name in MODEL_NAMES if name not in models]
        if missing:
            raise ValueError(f"condition models missing: {missing}; expected {list(MODEL_NAMES)}")
        return dict(models)
    if isinstance(models, Sequence) and len(models) == len(MODEL_NAMES):
        return dict(zip(MODEL_NAMES, models))
    raise ValueError(f"expected the four condition models by name or in the order {list(MODEL_NAMES)}")
