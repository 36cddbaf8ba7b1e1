"""The convolutional VAE families: the MNIST C-VAE (digit + white ratio) and the vanilla VAE.

Both use the same encoder / decoder (``cvae_tf.models.conv_vae``), the same trainer
(``VAETrainer``: MSE-sum + KL + a sharpness term) and the same switch that turns the sharpness
term on from a given epoch. The C-VAE adds its fitted ``WhiteRatioCondition``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import keras
import numpy as np

from cvae_tf.conditions import CONDITION_SIZE, WhiteRatioCondition
from cvae_tf.config import ModelSection, TrainingSection, nullable
from cvae_tf.data import make_dataset
from cvae_tf.families.base import Family, Prepared, register_family
from cvae_tf.models import conv_vae
from cvae_tf.training import SharpnessSwitch, VAETrainer, learning_rate


@dataclass
class ConvVAEModelConfig(ModelSection):
    latent_dim: int = 8  # chosen by evaluation: benchmarks/RESULTS.md
    filters: list = field(default_factory=lambda: [16, 32])
    dense_units: int = 256
    side_branch: bool = True
    refine: bool = False  # a 3×3 convolution after each decoder upsampling (on for faces)


@dataclass
class VAETrainingConfig(TrainingSection):
    epochs: int | None = nullable(None, like=10)  # None: by the data's size (size_defaults), saved resolved
    batch_size: int | None = nullable(None, like=256)  # None: 256 for full MNIST, 32 for a small set such as the sample
    grey_weight: float = 0.5  # k, the weight of the sharpness term
    grey_from_epoch: int | None = nullable(2)  # 1-based epoch that switches it on; None = never

    @property
    def objective_grey_weight(self) -> float:
        """k as the objective counts it: 0 when the sharpness term is never switched on."""
        return self.grey_weight if self.grey_from_epoch is not None else 0.0


SMALL_DATA = 20_000  # training images below which a data set counts as small (the offline sample has 4,050)


def size_defaults(train_size: int, batch_size: int | None = None, epochs: int | None = None) -> tuple[int, int]:
    """Batch size and epochs for a data set of ``train_size`` images, where the config leaves them ``None``.

    Full MNIST (54,000): batch 256, 10 epochs (2,110 steps). A small set such as the offline
    sample (4,050): batch 32, 30 epochs (3,810 steps); with batch 256 and 10 epochs it would get
    160 steps and the latent collapses (benchmarks/RESULTS.md).
    """
    small = train_size < SMALL_DATA
    return (batch_size or (32 if small else 256), epochs or (30 if small else 10))


class ConvVAE(Family):
    """The vanilla VAE on any images (digits, a folder of faces): ``vae_encoder_model`` …"""

    name = "conv_vae"
    aliases = ("vae",)
    renamed_from = ("mnist_vae",)
    model_config = ConvVAEModelConfig
    training_config = VAETrainingConfig
    description = "vanilla convolutional VAE (no condition)"
    prefix: ClassVar[str] = "vae"
    condition_size: ClassVar[int | None] = None

    def fit_condition(self, config, data):
        return None

    def prepare(self, config, data) -> Prepared:
        training = config.training
        training.batch_size, training.epochs = size_defaults(len(data.train), training.batch_size, training.epochs)
        condition = self.fit_condition(config, data)

        def batches(split, shuffle):
            conditions = None if condition is None else condition.of_images(split.images, split.labels)
            return make_dataset(split.images, conditions, config.training.batch_size, shuffle, config.training.seed)

        return Prepared(batches(data.train, True), batches(data.val, False), condition)

    def build_models(self, config) -> dict:
        return conv_vae.build_models(config.model, config.data.image_shape, self.condition_size, self.prefix)

    def build_trainer(self, config, models, steps_per_epoch=None):
        training = config.training
        trainer = self.trainer(config, models)
        optimizer = keras.optimizers.Adam(learning_rate(training, steps_per_epoch))
        trainer.compile(optimizer=optimizer, jit_compile=training.jit_compile)
        return trainer

    def trainer(self, config, models) -> VAETrainer:
        """The uncompiled trainer of the encoder and decoder."""
        return VAETrainer(models["encoder"], models["decoder"], **self.loss_options(config))

    def loss_options(self, config) -> dict:
        """The trainer's sharpness term: the grey loss Σ y(1 − y), weighted by k."""
        return {"grey_weight": config.training.objective_grey_weight}

    def callbacks(self, config) -> list:
        return [SharpnessSwitch(config.training.grey_from_epoch)]

    def inference(self, run):
        from cvae_tf.inference import LatentGenerator

        return LatentGenerator.from_run(run)

    def write_test_output(self, run, path, seed=0, values=None, per_class=8):
        """``test_output.png``: a labelled row per digit (or prior samples) and the thickness sweep."""
        from cvae_tf.generate import write_test_output

        return write_test_output(run, path, per_class=per_class, white=(values or {}).get("white", 0.0), seed=seed)

    def sample_request(self, n, seed=0):
        """Named values for ``n`` samples: the digits 0-9 in turn at white 0 (None: unconditional)."""
        return {"digit": np.arange(n) % 10, "white": np.zeros(n, np.float32)} if self.condition_size else {}

    def evaluate(self, run, options):
        """Digits: judged by ``classify_nums`` (trained beside the run when absent); faces: by condition models."""
        data_format = run.manifest["config"]["data"].get("format", "mnist")
        if data_format in FACE_FORMATS:
            return evaluate_faces(run, options)
        if data_format != "mnist":
            raise ValueError(f"{run.path}: evaluation judges MNIST digits; this run was not trained on MNIST")
        import json

        from cvae_tf.evaluate import CLASSIFIER, Judge, evaluate_run, load_or_train_classifier
        from cvae_tf.evaluate import side_by_side_samples, write_report
        from cvae_tf.runs import load_run_data

        data = load_run_data(run, options.data)
        classifier_dir = options.classifier or run.path.parent / CLASSIFIER
        judge = Judge(load_or_train_classifier(classifier_dir, data, epochs=options.classifier_epochs, verbose=2))
        result = evaluate_run(run, data, judge, per_class=options.per_class, seed=options.seed)
        samples = side_by_side_samples(run, data, seed=options.seed)
        return write_report(result, samples, options.output or run.path), json.dumps(result["summary"])


FACE_FORMATS = ("celeba", "face_folders", "images")  # colour faces: judged by the face condition models


def evaluate_faces(run, options):
    """Control and quality of a face run, judged by the condition models of ``options.judge`` (a
    vanilla VAE has none of its own) or by the run's own."""
    import json

    from cvae_tf.evaluate_faces import evaluate_face_run, write_face_report
    from cvae_tf.models.face_conditions import load_condition_models
    from cvae_tf.runs import load_run_data

    judge = load_condition_models(options.judge) if options.judge else None
    if judge is None and run.condition is None:
        raise ValueError(f"{run.path}: an unconditional face run needs --judge DIR (a face_conditions run)")
    judge_name = str(options.judge) if options.judge else "own (the run's condition_models)"
    result = evaluate_face_run(run, load_run_data(run, options.data), judge, seed=options.seed, judge_name=judge_name)
    return write_face_report(result, options.output or run.path), json.dumps(result, indent=2)


class MnistCVAE(ConvVAE):
    """The digit C-VAE: condition = one-hot digit + per-digit normalised white ratio."""

    name = "mnist_cvae"
    aliases = ("mnist",)
    renamed_from = ()
    description = "MNIST C-VAE: a digit and its stroke thickness"
    prefix = "cvae"
    condition_size = CONDITION_SIZE

    def fit_condition(self, config, data):
        return WhiteRatioCondition.fit(data.train.images, data.train.labels)


register_family(ConvVAE())
register_family(MnistCVAE())
