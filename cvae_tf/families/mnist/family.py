"""The digit C-VAE family (``mnist_cvae``, alias ``mnist``): the generic VAE conditioned on a digit
and its per-digit normalised white ratio (``WhiteRatioCondition``).

It also makes digits the judged data of any VAE: runs trained on ``data.format = mnist`` are
scored by the digit classifier ``classify_nums`` (``evaluate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cvae_tf.families.mnist import evaluate as digits
from cvae_tf.families.mnist import generate, latent
from cvae_tf.families.mnist.condition import CONDITION_SIZE, WhiteRatioCondition
from cvae_tf.families.vae.family import (
    ConvVAE,
    ConvVAEModelConfig,
    VAETrainingConfig,
    register_family,
    register_judge,
)


@dataclass
class MnistCVAEModelConfig(ConvVAEModelConfig):
    # Widths 24/48 with the condition at every decoder scale, against the VAE's 16/32 without: over two seeds
    # of 10 epochs, more legible digits that follow the thickness closely, and 2,000 images/s on a 2-core
    # CPU where widths 32/64 train at 1,800 (benchmarks/digit_defaults.py, benchmarks/train_speed.py).
    filters: list = field(default_factory=lambda: [24, 48])
    condition_maps: bool = True
    white_spread: float = 1.0  # σ_d's multiplier in the white condition c = 0.5 · (r − μ_d) / (spread · σ_d)


@dataclass
class MnistCVAETrainingConfig(VAETrainingConfig):
    # k = 0.35 against the VAE's 0.5: with the model above and batch 128, the grey share lands within 10% of
    # real MNIST's and diversity stays above 90% (two seeds of 10 epochs, benchmarks/digit_defaults.py).
    grey_weight: float = 0.35


class MnistCVAE(ConvVAE):
    """The digit C-VAE: condition = one-hot digit + per-digit normalised white ratio."""

    name = "mnist_cvae"
    aliases = ("mnist",)
    renamed_from = ()
    description = "MNIST C-VAE: a digit and its stroke thickness"
    model_config = MnistCVAEModelConfig
    training_config = MnistCVAETrainingConfig
    prefix = "cvae"
    condition_size = CONDITION_SIZE
    full_batch = 128  # twice the steps of 256 in the same 10 epochs: more legible digits, 98% after 3 epochs
    commands = (latent.add_parser,)

    def fit_condition(self, config, data):
        return WhiteRatioCondition.fit(data.train.images, data.train.labels, config.model.white_spread)

    def sample_request(self, n, seed=0, per_class=100, values=None):
        """The digits 0-9, ``per_class`` of each in a row (or ``n`` in turn), at the requested white."""
        values = dict(values or {})
        digits = np.arange(n) % 10 if n else np.repeat(np.arange(10), per_class)
        white = np.broadcast_to(np.asarray(values.pop("white", 0.0), np.float32), digits.shape).copy()
        if values:
            raise ValueError(f"unknown condition field(s) {sorted(values)}; this model takes ['digit', 'white']")
        return len(digits), {"digit": digits, "white": white}

    def sample_arrays(self, values):
        return {"labels": np.asarray(values["digit"], np.int64), "white": np.asarray(values["white"], np.float32)}

    def write_test_output(self, run, path, seed=0, values=None, per_class=8):
        """``test_output.png``: a labelled row per digit, and the thickness sweep beside it."""
        white = (values or {}).get("white", 0.0)
        return generate.write_test_output(run, path, per_class=per_class, white=white, seed=seed)


register_family(MnistCVAE())
register_judge("mnist", digits.evaluate_digits, digits.add_arguments)
