"""The face families: ``face_conditions`` (the four attribute models) and ``face_cvae`` (the colour
C-VAE conditioned on their predictions).

``cvae-tf train face_conditions --data CELEBA --output DIR`` trains the four models together
through the runner (one trainer, four separate networks, each loss only on the faces labelled
for its target). ``cvae-tf train face_cvae --data CELEBA --set model.condition_models=DIR``
then trains the C-VAE on the models' predictions for every face; its run holds the four models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cvae_tf.config import DataConfig, ModelSection, TrainingSection, choice, nullable
from cvae_tf.data.sources import register_format
from cvae_tf.families.base import Family, Prepared, register_family
from cvae_tf.families.conv_vae import ConvVAE, ConvVAEModelConfig, VAETrainingConfig


@dataclass
class FaceDataConfig(DataConfig):
    format: str = choice("celeba", ("celeba", "face_folders"))
    source: str = "img_align_celeba"  # a CelebA folder (list_attr_celeba.txt + images) or Male/ Female/ folders
    image_size: list = field(default_factory=lambda: [64, 64])
    channels: int = 3


@register_format("celeba")
def _celeba(data, seed):
    from cvae_tf.data.faces import load_celeba

    return load_celeba(data.source, tuple(data.image_size), seed, data.val_fraction, data.test_fraction)


@register_format("face_folders")
def _face_folders(data, seed):
    from cvae_tf.data.faces import load_face_folders

    return load_face_folders(data.source, tuple(data.image_size), seed, data.val_fraction, data.test_fraction)


# --- the four condition models ------------------------------------------------------------------


@dataclass
class FaceConditionsModelConfig(ModelSection):
    family: str = "face_conditions"
    widths: list = field(default_factory=lambda: [16, 32, 64, 128])


@dataclass
class FaceConditionsTrainingConfig(TrainingSection):
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 3e-3
    lr_schedule: str = choice("cosine", ("constant", "cosine"))


class ConditionModelsTrainer(keras.Model):
    """Trains the four condition models at once: each loss counts only the faces labelled for it.

    Batches are ``{"image": (B, H, W, 3), "targets": (B, 4)}`` with NaN for unlabelled. The four
    networks share nothing, so one summed loss trains each on its own term alone.
    """

    def __init__(self, models: dict, **kwargs):
        super().__init__(**kwargs)
        from cvae_tf.models.face_conditions import MODEL_NAMES

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
        self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)
        return self._record(loss, accuracy, errors)

    def test_step(self, data):
        return self._record(*self.terms(data, training=False))

    def _record(self, loss, accuracy, errors):
        for name, value in zip(self.trackers, (loss, accuracy, *errors)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def face_batches(split, batch_size, shuffle, seed, conditions=None, augment=False):
    """``{"image", "targets"}`` batches (or ``{"image", "condition"}`` with ``conditions``); mirrored and
    shifted by up to 4 pixels when ``augment``."""
    height, width = split.images.shape[1:3]
    features = {"image": split.images}
    if conditions is None:
        features["targets"] = split.targets[["male", "hair", "mouth", "eyes"]].to_numpy(np.float32)
    else:
        features["condition"] = np.asarray(conditions, np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(features)
    if shuffle:
        dataset = dataset.shuffle(len(split.images), seed=seed, reshuffle_each_iteration=True)

    def prepare(batch):
        image = batch["image"]
        if augment:
            image = tf.image.random_flip_left_right(image)
            padded = tf.pad(image, [[4, 4], [4, 4], [0, 0]], mode="SYMMETRIC")
            image = tf.image.random_crop(padded, (height, width, 3))
        return {**batch, "image": tf.cast(image, tf.float32) / 255.0}

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


class FaceConditions(Family):
    name = "face_conditions"
    data_config = FaceDataConfig
    model_config = FaceConditionsModelConfig
    training_config = FaceConditionsTrainingConfig
    description = "the four face attribute models (sex, hair, mouth, eyes)"

    def prepare(self, config, data) -> Prepared:
        size, seed = config.training.batch_size, config.training.seed
        return Prepared(face_batches(data.train, size, True, seed, augment=True), face_batches(data.val, 256, False, 0))

    def build_models(self, config) -> dict:
        from cvae_tf.models.face_conditions import MODEL_NAMES, build_condition_model

        size, widths = tuple(config.data.image_size), tuple(config.model.widths)
        return {name: build_condition_model(name, size, widths) for name in MODEL_NAMES}

    def build_trainer(self, config, models, steps_per_epoch=None):
        from cvae_tf.training import learning_rate

        trainer = ConditionModelsTrainer(models)
        rate = learning_rate(config.training, steps_per_epoch)
        trainer.compile(optimizer=keras.optimizers.AdamW(rate, weight_decay=1e-4))
        return trainer


# --- the face C-VAE -------------------------------------------------------------------------------


@dataclass
class FaceCVAEModelConfig(ConvVAEModelConfig):
    family: str = "face_cvae"
    latent_dim: int = 64
    filters: list = field(default_factory=lambda: [32, 64, 128, 256])
    dense_units: int = 512
    side_branch: bool = False
    condition_maps: bool = True  # the condition joins every decoder scale (the original's direct connections)
    condition_models: str = "saved_models/face_conditions"  # a face_conditions run (or a folder of the four)


@dataclass
class FaceTrainingConfig(VAETrainingConfig):
    epochs: int = 20
    batch_size: int = 64
    lr_schedule: str = choice("cosine", ("constant", "cosine"))
    sharpness: str = choice("frequency", ("frequency", "grey", "none"))  # the term switched on from grey_from_epoch
    grey_weight: float = 1.0  # k, the sharpness term's weight
    grey_from_epoch: int | None = nullable(2)


class FaceCVAE(ConvVAE):
    name = "face_cvae"
    aliases = ()
    renamed_from = ()
    data_config = FaceDataConfig
    model_config = FaceCVAEModelConfig
    training_config = FaceTrainingConfig
    description = "face C-VAE conditioned on the four attribute models' predictions"
    prefix = "cvae"
    condition_size = 4

    def fit_condition(self, config, data):
        from cvae_tf.conditions import FaceAttributes
        from cvae_tf.models.face_conditions import load_condition_models

        return FaceAttributes(load_condition_models(_models_folder(config.model.condition_models)))

    def prepare(self, config, data) -> Prepared:
        condition = self.fit_condition(config, data)
        size, seed = config.training.batch_size, config.training.seed
        train = face_batches(data.train, size, True, seed, condition.of_images(data.train.images))
        val = face_batches(data.val, size, False, seed, condition.of_images(data.val.images))
        return Prepared(train, val, condition)

    def loss_options(self, config) -> dict:
        from cvae_tf.losses import frequency_loss, grey_loss

        training = config.training
        weight = 0.0 if training.sharpness == "none" else training.objective_grey_weight
        loss = {"frequency": frequency_loss, "grey": grey_loss, "none": grey_loss}[training.sharpness]
        return {"grey_weight": weight, "sharpness_loss": loss, "sharpness_name": "sharpness"}

    def callbacks(self, config) -> list:
        from cvae_tf.training import SharpnessSwitch

        return [SharpnessSwitch(config.training.grey_from_epoch, name="sharpness")]

    def write_test_output(self, run, path, seed=0, values=None, **_):
        return write_face_test_output(run, path, seed, values)

    def sample_request(self, n, seed=0):
        return sample_request(n, seed)


def _models_folder(path):
    """A face_conditions run folder or a plain folder of the four ``.keras`` files."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no condition models; train them first (cvae-tf train face_conditions --output {path})"
        )
    return path


register_family(FaceConditions())
register_family(FaceCVAE())


# --- generation -----------------------------------------------------------------------------------

SWEEP = np.linspace(0.0, 1.0, 4, dtype=np.float32)
ENDS = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)


def sample_request(n: int, seed: int = 0) -> dict:
    """Named values for ``n`` faces covering both ends of every condition (0, ¼, ½, ¾, 1 each)."""
    rng = np.random.default_rng(seed)
    return {field: rng.choice(ENDS, n) for field in ("male", "hair", "mouth", "eyes")}


def condition_grid(generator, seed: int = 0, values: dict | None = None):
    """Faces (rows, columns, H, W, 3) and their labels: rows sex × hair (dark / light hair of a man,
    then of a woman); columns the mouth closed → open, then the eyes narrow → open; one z per column."""
    values = {**{"male": 1.0, "hair": 1.0, "mouth": 0.5, "eyes": 1.0}, **(values or {})}
    rows = [(male, hair) for male in (1.0, 0.0) for hair in (1.0, 0.0)]
    columns = [("mouth", v) for v in SWEEP] + [("eyes", v) for v in SWEEP]
    z = np.tile(generator.latents(len(columns), seed), (len(rows), 1))
    requests = {name: [] for name in ("male", "hair", "mouth", "eyes")}
    for male, hair in rows:
        for name, value in columns:
            request = {**values, "male": male, "hair": hair, name: value}
            for key in requests:
                requests[key].append(request[key])
    images, _ = generator.generate(len(z), z=z, **requests)
    row_labels = [f"{'man' if m else 'woman'}, {'dark' if h else 'light'} hair" for m, h in rows]
    column_labels = [f"{name} {value:.2f}" for name, value in columns]
    return images.reshape(len(rows), len(columns), *images.shape[1:]), row_labels, column_labels


def write_face_test_output(run, path="test_output.png", seed: int = 0, values: dict | None = None):
    """``test_output.png``: the condition grid, then a row of random latents at the requested values."""
    from pathlib import Path

    from cvae_tf.plots import image_grid, save_figure

    generator = run.family.inference(run)
    grid, rows, columns = condition_grid(generator, seed, values)
    random, _ = generator.generate(grid.shape[1], seed=seed + 1, **(values or {}))
    images = np.concatenate([grid, random[None]])
    asked = ", ".join(f"{k}={v:g}" for k, v in (values or {}).items()) or "defaults"
    figure = image_grid(images, row_labels=[*rows, f"random z ({asked})"], col_labels=columns)
    return [save_figure(figure, Path(path))]
