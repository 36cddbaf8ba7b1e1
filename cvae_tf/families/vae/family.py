"""The generic convolutional VAE family (``conv_vae``, alias ``vae``): no condition, any images.

The encoder / decoder (``models``), the trainer (``trainer.VAETrainer``: MSE-sum + KL + a
sharpness term) and the switch that turns the sharpness term on from a given epoch are shared by
the conditional VAEs built on it (the digit C-VAE, the face C-VAE). Who judges a run depends on
what it was trained on: each data format's owner registers its judge here (``register_judge``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import keras
import numpy as np

from cvae_tf.core.config import ModelSection, TrainingSection, choice, nullable
from cvae_tf.core.data import make_dataset
from cvae_tf.core.family import Family, Prepared, register_family
from cvae_tf.core.losses import RECONSTRUCTION_LOSSES
from cvae_tf.core.inference import LatentGenerator
from cvae_tf.core.layers import UPSAMPLING
from cvae_tf.core.plots import image_grid, save_figure
from cvae_tf.core.training import SharpnessSwitch, learning_rate
from cvae_tf.families.mnist.data import MnistDataConfig
from cvae_tf.families.vae import fit_prior_command
from cvae_tf.families.vae import models as conv_vae
from cvae_tf.families.vae.latent_prior import rebase_latent
from cvae_tf.families.vae.trainer import VAETrainer


@dataclass
class ConvVAEModelConfig(ModelSection):
    latent_dim: int = 8  # chosen by evaluation: benchmarks/RESULTS.md
    filters: list = field(default_factory=lambda: [16, 32])
    dense_units: int = 256
    side_branch: bool = True
    refine: bool = False  # a 3×3 convolution after each decoder upsampling (on for faces)
    condition_maps: bool = False  # a C-VAE's condition joins every decoder scale, not only its input
    condition_maps_largest: int | None = nullable(None, like=16)  # the widest scale (pixels) given a map; None: all
    upsampling: str = choice("transpose", UPSAMPLING)  # resize: nearest, then a 3×3 conv (no checkerboard)


@dataclass
class VAETrainingConfig(TrainingSection):
    epochs: int | None = nullable(None, like=10)  # None: by the data's size (size_defaults), saved resolved
    batch_size: int | None = nullable(None, like=256)  # None: the family's full_batch on full MNIST, 32 on a small set
    grey_weight: float = 0.5  # k, the weight of the sharpness term
    grey_from_epoch: int | None = nullable(2)  # 1-based epoch that switches it on; None = never
    kl_weight: float = 1.0  # β, the KL term's weight
    reconstruction: str = choice("mse", tuple(RECONSTRUCTION_LOSSES))  # the reconstruction term, summed over pixels
    fit_prior: bool = False  # after training, re-base z so that N(0, I) is the training codes' Gaussian (latent_prior)
    prior_scale: float = 1.0  # the fitted Gaussian's standard deviations times this (needs fit_prior)

    def __post_init__(self):
        if self.prior_scale <= 0:
            raise ValueError(f"training.prior_scale = {self.prior_scale!r}; expected a number above 0")
        if self.prior_scale != 1 and not self.fit_prior:
            raise ValueError(
                f"training.prior_scale = {self.prior_scale!r} widens the prior that training.fit_prior fits, "
                "which is off; set training.fit_prior=true or leave prior_scale at 1"
            )

    @property
    def objective_grey_weight(self) -> float:
        """k as the objective counts it: 0 when the sharpness term is never switched on."""
        return self.grey_weight if self.grey_from_epoch is not None else 0.0


SMALL_DATA = 20_000  # training images below which a data set counts as small (the offline sample has 4,050)


def size_defaults(
    train_size: int, batch_size: int | None = None, epochs: int | None = None, full_batch: int = 256
) -> tuple[int, int]:
    """Batch size and epochs for a data set of ``train_size`` images, where the config leaves them ``None``.

    A full-size set such as MNIST (54,000): batch ``full_batch`` (the family's), 10 epochs. A small
    set such as the offline sample (4,050): batch 32, 30 epochs (3,810 steps); with batch 256 and 10
    epochs it would get 160 steps and the latent collapses (benchmarks/RESULTS.md).
    """
    small = train_size < SMALL_DATA
    return (batch_size or (32 if small else full_batch), epochs or (30 if small else 10))


@dataclass(frozen=True)
class Judge:
    """How runs trained on one data format are scored: ``evaluate(run, data, options)`` and the
    ``add_arguments(parser)`` that adds its flags to ``cvae-tf evaluate``."""

    evaluate: Callable
    add_arguments: Callable = lambda parser: None


JUDGES: dict[str, Judge] = {}


def register_judge(data_format: str, evaluate: Callable, add_arguments: Callable | None = None) -> None:
    """Make ``evaluate`` the judge of VAE runs trained on ``data_format`` (e.g. digits, faces)."""
    JUDGES[data_format] = Judge(evaluate, add_arguments or (lambda parser: None))


class ConvVAE(Family):
    """The vanilla VAE on any images (digits, a folder of faces): ``vae_encoder_model`` …"""

    name = "conv_vae"
    aliases = ("vae",)
    renamed_from = ("mnist_vae",)
    data_config = MnistDataConfig
    model_config = ConvVAEModelConfig
    training_config = VAETrainingConfig
    description = "vanilla convolutional VAE (no condition)"
    introduced: ClassVar[dict] = {
        "model.upsampling": "transpose",
        "model.condition_maps_largest": None,
        "training.fit_prior": False,
        "training.prior_scale": 1.0,
    }
    prefix: ClassVar[str] = "vae"
    commands: ClassVar[tuple] = (fit_prior_command.add_parser,)
    condition_size: ClassVar[int | None] = None
    full_batch: ClassVar[int] = 256  # the batch size on a full-size data set, where the config leaves it None

    def fit_condition(self, config, data):
        return None

    def prepare(self, config, data) -> Prepared:
        training = config.training
        training.batch_size, training.epochs = size_defaults(
            len(data.train), training.batch_size, training.epochs, self.full_batch
        )
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
        """The trainer's terms: the reconstruction loss, β on the KL term, k on the sharpness term (the grey
        loss Σ y(1 − y))."""
        training = config.training
        return {
            "grey_weight": training.objective_grey_weight,
            "kl_weight": training.kl_weight,
            "reconstruction": training.reconstruction,
        }

    def callbacks(self, config) -> list:
        return [SharpnessSwitch(config.training.grey_from_epoch)]

    def after_training(self, config, models, prepared) -> dict:
        """With ``training.fit_prior``, the latent space re-based on the codes of one pass over the training batches."""
        if not config.training.fit_prior:
            return {}
        encoder = models["encoder"]  # called batch by batch: predict() would distribute under a multi-worker strategy
        codes = [encoder({name: batch[name] for name in encoder.input}, training=False) for batch in prepared.train]
        z_mean, z_log_var = (np.concatenate([code[key] for code in codes]) for key in ("z_mean", "z_log_var"))
        scale = config.training.prior_scale
        return {"latent_prior": rebase_latent(encoder, models["decoder"], z_mean, z_log_var, scale)}

    def inference(self, run):
        return LatentGenerator.from_run(run)

    def sample_request(self, n, seed=0, per_class=100, values=None):
        """Prior samples take no condition: ``n`` of them (ten times ``per_class`` by default)."""
        if values:
            raise ValueError(f"this model is unconditional: it takes no {sorted(values)}")
        return n or 10 * per_class, {}

    def sample_arrays(self, values):
        return {name: np.asarray(value) for name, value in values.items()}

    def write_test_output(self, run, path, seed=0, values=None, per_class=8):
        """``test_output.png``: ten rows of ``per_class`` prior samples."""
        images, _ = self.inference(run).generate(10 * per_class, seed, **(values or {}))
        grid = images.reshape(10, per_class, *images.shape[1:])
        return [save_figure(image_grid(grid, title="samples from the prior"), Path(path))]

    def add_evaluate_arguments(self, parser):
        for judge in JUDGES.values():
            judge.add_arguments(parser)

    def evaluate(self, run, data, options):
        """Scored by the judge of the data the run was trained on (digits, faces, …)."""
        data_format = run.manifest["config"]["data"]["format"]
        if data_format not in JUDGES:
            raise ValueError(
                f"{run.path}: no judge scores runs trained on data.format {data_format!r}; "
                f"judges exist for {sorted(JUDGES)}"
            )
        return JUDGES[data_format].evaluate(run, data, options)


register_family(ConvVAE())
