"""``classify_nums``: the digit classifier that judges generated digits, trained by the same runner."""

from __future__ import annotations

from dataclasses import dataclass

import keras

from cvae_tf.core.config import ModelSection, TrainingSection, choice
from cvae_tf.core.data import make_dataset
from cvae_tf.core.family import Family, Prepared, register_family
from cvae_tf.core.training import learning_rate
from cvae_tf.families.mnist.classifier import build_classifier
from cvae_tf.families.mnist.data import MnistDataConfig


@dataclass
class ClassifierModelConfig(ModelSection):
    family: str = "classify_nums"
    augment: bool = True  # random shifts, rotations and zooms while training


@dataclass
class ClassifierTrainingConfig(TrainingSection):
    epochs: int = 6
    batch_size: int = 128
    lr_schedule: str = choice("cosine", ("constant", "cosine"))  # settles the last epochs


class ClassifyNums(Family):
    name = "classify_nums"
    data_config = MnistDataConfig
    model_config = ClassifierModelConfig
    training_config = ClassifierTrainingConfig
    description = "digit classifier (the evaluation's judge)"

    def prepare(self, config, data) -> Prepared:
        def batches(split, shuffle):
            training = config.training
            return make_dataset(split.images, None, training.batch_size, shuffle, training.seed, labels=split.labels)

        return Prepared(batches(data.train, True), batches(data.val, False))

    def build_models(self, config) -> dict:
        return {"classifier": build_classifier(augment=config.model.augment)}

    def build_trainer(self, config, models, steps_per_epoch=None):
        classifier = models["classifier"]
        optimizer = keras.optimizers.Adam(learning_rate(config.training, steps_per_epoch))
        classifier.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return classifier


register_family(ClassifyNums())
