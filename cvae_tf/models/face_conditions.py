"""The face C-VAE's condition models: four small, separate CNNs that read a face's conditions.

``classify_male_or_female`` (softmax: P(male), P(female)), ``regression_hair_color`` (1 dark … 0
light), ``regression_mouth`` (1 wide open … 0 closed) and ``regression_eyes`` (1 open … 0 closed)
each take ``{"image": (H, W, 3) float in [0, 1]}``, are trained on the faces labelled for their
target (NaN = unlabelled, see ``cvae_tf.data.faces.condition_targets``) and saved under their
own name, so that every face, labelled or not, gets predicted conditions for the C-VAE.

They are kept small (about 0.29 M parameters: four strided stages with batch norm and a global
average) so that all four train in minutes on a laptop CPU. Batch norm uses momentum 0.9: with
Keras' default 0.99 the inference statistics lag a short run and the regressors predicted the mean.
Wider models (0.53 M) and mirror-averaged predictions did not score better on CelebA.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers

SEX_MODEL = "classify_male_or_female"
REGRESSION_MODELS = {"regression_hair_color": "hair", "regression_mouth": "mouth", "regression_eyes": "eyes"}
MODEL_NAMES = (SEX_MODEL, *REGRESSION_MODELS)
TARGET_OF = {SEX_MODEL: "male", **REGRESSION_MODELS}
CONDITION_COLUMNS = ("male", "hair", "mouth", "eyes")  # predict_conditions' columns
DEFAULT_EPOCHS = {SEX_MODEL: 15, "regression_hair_color": 8, "regression_mouth": 8, "regression_eyes": 16}


def build_condition_model(name: str, image_size=(64, 64), widths=(16, 32, 64, 128)) -> keras.Model:
    """One condition model: softmax over (male, female) for ``classify_male_or_female``, else a sigmoid.

    No augmentation layers: the training pipeline mirrors and shifts the uint8 images, which is
    several times cheaper on a CPU than Keras' interpolating ``RandomTranslation``.
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"name={name!r}; expected one of {list(MODEL_NAMES)}")
    image = keras.Input((*image_size, 3), name="image")
    features = _trunk(image_size, widths, name)(image)
    features = layers.Dropout(0.25)(features)
    if name == SEX_MODEL:
        output = layers.Dense(2, activation="softmax", name="sex")(features)
    else:
        output = layers.Dense(1, activation="sigmoid", name=TARGET_OF[name])(features)
    return keras.Model({"image": image}, output, name=name)


def _trunk(image_size, widths, name) -> keras.Model:
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
    return keras.Model(inputs, x, name=f"{name}_trunk")


# ------------------------------------------------------------------------------------------- training


def train_condition_models(
    data,
    epochs: int | Mapping[str, int] = DEFAULT_EPOCHS,
    batch_size: int = 64,
    seed: int = 0,
    verbose="auto",
    image_size=None,
    widths=(16, 32, 64, 128),
    learning_rate: float = 3e-3,
) -> dict[str, keras.Model]:
    """Train the four models on ``data.train`` (a ``FaceData``), each on the faces labelled for it.

    ``epochs`` is one number for all four or a mapping by model name. The learning rate decays
    to zero over each run (cosine), which settles the last epochs. Returns the models by name,
    in ``MODEL_NAMES`` order; each keeps its training time (s) in ``model.training_seconds``.
    """
    image_size = tuple(image_size or data.train.images.shape[1:3])
    models = {}
    for name in MODEL_NAMES:
        count = epochs[name] if isinstance(epochs, Mapping) else epochs
        start = time.perf_counter()
        models[name] = _train_one(name, data, count, batch_size, seed, verbose, image_size, widths, learning_rate)
        models[name].training_seconds = time.perf_counter() - start
    return models


def _train_one(name, data, epochs, batch_size, seed, verbose, image_size, widths, learning_rate) -> keras.Model:
    from cvae_tf.data import make_dataset

    keras.utils.set_random_seed(seed)
    train_images, train_labels = _labelled(data.train, name)
    val_images, val_labels = _labelled(data.val, name)
    train = augmented_dataset(train_images, train_labels, batch_size, seed)
    steps = max(epochs * int(train.cardinality()), 1)
    model = build_condition_model(name, image_size, widths)
    optimizer = keras.optimizers.AdamW(keras.optimizers.schedules.CosineDecay(learning_rate, steps), weight_decay=1e-4)
    if name == SEX_MODEL:
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    validation = None
    if len(val_labels):
        validation = make_dataset(val_images, labels=val_labels, batch_size=256, shuffle=False)
    model.fit(train, validation_data=validation, epochs=epochs, verbose=verbose, shuffle=False)
    return model


def augmented_dataset(images, labels, batch_size: int, seed: int, shift: int = 4) -> tf.data.Dataset:
    """Shuffled training batches, each face mirrored at random and shifted by up to ``shift`` pixels.

    The shift pads by edge replication and crops back, on uint8 before scaling to [0, 1].
    """
    height, width = images.shape[1:3]

    def augment(image, label):
        image = tf.image.random_flip_left_right(image)
        padded = tf.pad(image, [[shift, shift], [shift, shift], [0, 0]], mode="SYMMETRIC")
        return tf.image.random_crop(padded, (height, width, 3)), label

    def scale(image, label):
        return {"image": tf.cast(image, tf.float32) / 255.0}, label

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    return dataset.map(scale, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _labelled(split, name) -> tuple[np.ndarray, np.ndarray]:
    """The faces labelled for ``name``'s target and their labels (class 0 = male for the classifier)."""
    target = split.targets[TARGET_OF[name]].to_numpy(np.float32)
    keep = ~np.isnan(target)
    if name == SEX_MODEL:
        return split.images[keep], (target[keep] < 0.5).astype(np.int64)
    return split.images[keep], target[keep, None]


# ---------------------------------------------------------------------------- prediction and scoring


def predict_conditions(models, images, batch_size: int = 256) -> np.ndarray:
    """(N, 4) float32 conditions [P(male), hair, mouth, eyes] of ``images`` (uint8 0-255 or float 0-1)."""
    models = _by_name(models)
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    columns = []
    for name in MODEL_NAMES:
        output = models[name].predict({"image": images.astype(np.float32)}, batch_size=batch_size, verbose=0)
        columns.append(output[:, 0])
    return np.stack(columns, axis=1).astype(np.float32)


def evaluate_condition_models(models, split, reference=None) -> pd.DataFrame:
    """Score the models on ``split``: one row per model, on the faces labelled for its target.

    Columns: ``n``; ``mse``; ``mean_mse`` (the MSE of always predicting the mean target of
    ``reference``, the training split, or of ``split`` itself when none is given); ``ratio`` =
    mse / mean_mse (below 1 beats the mean); ``accuracy`` at the threshold 0.5 and
    ``balanced_accuracy`` (the mean of the recalls on both sides, fair for rare labels such as
    narrow eyes), both over faces whose target is not exactly 0.5. For the sex classifier the
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
