"""The face families: ``face_conditions`` (the four attribute models) and ``face_cvae`` (the colour
C-VAE conditioned on their predictions).

``cvae-tf train face_conditions --data CELEBA --output DIR`` trains the four models together
through the runner (one trainer, four separate networks, each loss only on the faces labelled
for its target). ``cvae-tf train face_cvae --data CELEBA --set model.condition_models=DIR``
then trains the C-VAE on the models' predictions for every face; its run holds the four models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from cvae_tf.core.config import DataConfig, ModelSection, TrainingSection, choice, nullable
from cvae_tf.core.data.sources import register_format
from cvae_tf.core.family import Family, Prepared, register_family
from cvae_tf.core.layers import UPSAMPLING
from cvae_tf.core.losses import frequency_loss
from cvae_tf.core.plots import image_grid, save_figure
from cvae_tf.core.training import SharpnessSwitch, learning_rate
from cvae_tf.families.faces.condition import FACE_FIELDS, FaceAttributes
from cvae_tf.families.faces.condition_models import (
    build_condition_models,
    compile_trainer,
    conditions_model,
    evaluate_condition_models,
    load_condition_models,
)
from cvae_tf.families.faces.data import EYE_SOURCES, face_batches, load_celeba, load_face_folders
from cvae_tf.families.faces.evaluate import add_arguments, evaluate_faces, write_condition_report
from cvae_tf.families.vae.family import ConvVAE, ConvVAEModelConfig, VAETrainingConfig, register_judge
from cvae_tf.families.vae.trainer import JudgedVAETrainer


def _eye_sources():
    return EYE_SOURCES


@dataclass
class FaceDataConfig(DataConfig):
    format: str = choice("celeba", ("celeba", "face_folders"))
    source: str = "img_align_celeba"  # a CelebA folder (list_attr_celeba.txt + images) or Male/ Female/ folders
    image_size: list = field(default_factory=lambda: [64, 64])
    channels: int = 3
    eyes: str = choice("landmarks", _eye_sources)  # CelebA's eyes target (cvae_tf.families.faces.landmarks)


@register_format("celeba")
def _celeba(data, seed):
    eyes = getattr(data, "eyes", "narrow_eyes")  # a family without the field (the vanilla VAE) uses no targets
    return load_celeba(data.source, tuple(data.image_size), seed, data.val_fraction, data.test_fraction, eyes=eyes)


@register_format("face_folders")
def _face_folders(data, seed):
    return load_face_folders(data.source, tuple(data.image_size), seed, data.val_fraction, data.test_fraction)


# --- the four condition models ------------------------------------------------------------------


@dataclass
class FaceConditionsModelConfig(ModelSection):
    family: str = "face_conditions"
    widths: list = field(default_factory=lambda: [32, 64, 128, 256])  # each trunk's stages
    shared_trunk: bool = False  # one trunk for the four (the eyes are read worse; build_condition_models)


@dataclass
class FaceConditionsTrainingConfig(TrainingSection):
    epochs: int = 10  # 439 s on the 2-core CPU with the faces cached (benchmarks/RESULTS.md)
    batch_size: int = 64
    learning_rate: float = 3e-3
    lr_schedule: str = choice("cosine", ("constant", "cosine"))
    # Random shifts, in pixels, besides mirroring. None by default: CelebA's faces are aligned, and
    # shifted faces left the eyes model unsure where the eyes are (benchmarks/RESULTS.md).
    shift: int = 0


class FaceConditions(Family):
    name = "face_conditions"
    data_config = FaceDataConfig
    model_config = FaceConditionsModelConfig
    training_config = FaceConditionsTrainingConfig
    description = "the four face attribute models (sex, hair, mouth, eyes)"

    def prepare(self, config, data) -> Prepared:
        size, seed = config.training.batch_size, config.training.seed
        train = face_batches(data.train, size, True, seed, augment=True, shift=config.training.shift)
        return Prepared(train, face_batches(data.val, 256, False, 0))

    def build_models(self, config) -> dict:
        model = config.model
        return build_condition_models(tuple(config.data.image_size), tuple(model.widths), model.shared_trunk)

    def build_trainer(self, config, models, steps_per_epoch=None):
        return compile_trainer(models, learning_rate(config.training, steps_per_epoch))

    def evaluate(self, run, data, options):
        """The four models on the held-out test faces: MSE against the mean predictor's, accuracies."""
        table = evaluate_condition_models(load_condition_models(run.path), data.test, reference=data.train)
        paths = write_condition_report(table, run.path, options.output or run.path)
        return paths, table.to_string(float_format=lambda v: f"{v:.4f}")


# --- the face C-VAE -------------------------------------------------------------------------------


@dataclass
class FaceCVAEModelConfig(ConvVAEModelConfig):
    family: str = "face_cvae"
    latent_dim: int = 64
    filters: list = field(default_factory=lambda: [32, 64, 128, 256])
    dense_units: int = 512
    side_branch: bool = False
    condition_maps: bool = True  # the condition joins every decoder scale (the original's direct connections)
    refine: bool = True
    upsampling: str = choice("resize", UPSAMPLING)  # transposed convolutions drew a grid on 12% of faces
    condition_models: str = "saved_models/face_conditions"  # a face_conditions run (or a folder of the four)


@dataclass
class FaceTrainingConfig(VAETrainingConfig):
    epochs: int = 10  # 27 min alone on the 2-core CPU (benchmarks/RESULTS.md)
    batch_size: int = 32
    learning_rate: float = 2e-3
    lr_schedule: str = choice("cosine", ("constant", "cosine"))
    # The sharpness term (the frequency loss), on from grey_from_epoch. Off by default: it raised the
    # sharpness ratio (0.03 → 0.37) with speckle and scratches, not detail, and cost every other
    # measure (Fréchet 1.75 → 2.17, diversity 91% → 77%, flip 99.5% → 96.5%; benchmarks/RESULTS.md).
    sharpness: str = choice("none", ("frequency", "none"))
    grey_weight: float = 1.0  # k, the sharpness term's weight
    judge_weight: float = 10.0  # the control term's weight (prior samples judged by the condition models); 0 = off
    # The fields the control term judges. Not sex: the data teach it, and judged by its own sex
    # model the decoder learned that model's cues (sex obeyed 87.5% by models trained apart, 96.5%
    # without; benchmarks/RESULTS.md).
    judged: list = field(default_factory=lambda: ["hair", "mouth", "eyes"])
    grey_from_epoch: int | None = nullable(2)
    # Gaussian noise (this standard deviation) on the training faces' conditions, so that z, not the
    # fine detail of the condition models' readings, carries what one request leaves open; 0 = off.
    # At 0.15 the faces under one request varied no more (42.0% against 42.5%; benchmarks/RESULTS.md).
    condition_noise: float = 0.0
    # The training faces' codes spread wider than N(0, I) along a few directions (variance up to 3.5):
    # re-based on them, prior samples vary more under one request (42.5% → 49.7% of real faces' spread
    # in dlib's descriptor) and lie nearer real faces (Fréchet 0.230 → 0.210; benchmarks/RESULTS.md).
    fit_prior: bool = True
    # Drawn 1.6 times wider than the codes' Gaussian, one request's faces vary 60.5% as much as real faces
    # of that sex (49.7% at 1; 61.6% on a second seed) and lie nearer them in dlib's descriptor (Fréchet
    # 0.175 against 0.210), at sex obeyed 94.8% (98.2%) there, hair r 0.68 (0.82) and Fréchet 3.35 (1.52)
    # in the seed-1 models (benchmarks/RESULTS.md).
    prior_scale: float = 1.6


class FaceCVAE(ConvVAE):
    name = "face_cvae"
    aliases = ()
    renamed_from = ()
    data_config = FaceDataConfig
    model_config = FaceCVAEModelConfig
    training_config = FaceTrainingConfig
    description = "face C-VAE conditioned on the four attribute models' predictions"
    retired: ClassVar[dict] = {  # the patch critic's settings: runs saved with it off still load
        "training.adversarial_weight": 0.0,
        "training.critic_widths": [32, 64, 128],
        "training.critic_reconstructions": False,
        "training.critic_r1": 0.0,
    }
    prefix = "cvae"
    condition_size = 4

    def fit_condition(self, config, data):
        return FaceAttributes(load_condition_models(_models_folder(config.model.condition_models)))

    def prepare(self, config, data) -> Prepared:
        condition = self.fit_condition(config, data)
        size, seed = config.training.batch_size, config.training.seed
        noise = config.training.condition_noise
        train_conditions = condition.of_images(data.train.images)
        train = face_batches(data.train, size, True, seed, train_conditions, condition_noise=noise)
        val = face_batches(data.val, size, False, seed, condition.of_images(data.val.images))
        return Prepared(train, val, condition)

    def trainer(self, config, models):
        training = config.training
        if not training.judge_weight:
            return super().trainer(config, models)

        judge = conditions_model(load_condition_models(_models_folder(config.model.condition_models)))
        options = {"judge_weight": training.judge_weight, "seed": training.seed, "judged": _judged(training.judged)}
        return JudgedVAETrainer(models["encoder"], models["decoder"], judge, **options, **self.loss_options(config))

    def loss_options(self, config) -> dict:
        """The one sharpness term, the frequency loss, weighted by k (0 when ``training.sharpness`` is none)."""
        training = config.training
        weight = 0.0 if training.sharpness == "none" else training.objective_grey_weight
        named = {"sharpness_loss": frequency_loss, "sharpness_name": "sharpness"}
        return {**super().loss_options(config), "grey_weight": weight, **named}

    def callbacks(self, config) -> list:
        return [SharpnessSwitch(config.training.grey_from_epoch, name="sharpness")]

    def write_test_output(self, run, path, seed=0, values=None, **_):
        return write_face_test_output(run, path, seed, values)

    def sample_request(self, n, seed=0, per_class=100, values=None):
        """``n`` faces (ten times ``per_class`` by default) covering both ends of every condition."""
        n = n or 10 * per_class
        return n, {**sample_request(n, seed), **(values or {})}


def _judged(names) -> list[float]:
    """``training.judged`` as the control term's mask over the condition's fields."""
    fields = [field.name for field in FACE_FIELDS]
    unknown = sorted(set(names) - set(fields))
    if unknown:
        raise ValueError(f"training.judged names {unknown}; expected some of {fields}")
    return [float(name in names) for name in fields]


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
for _format in ("celeba", "face_folders"):  # any VAE trained on faces is judged by condition models
    register_judge(_format, evaluate_faces, add_arguments)


# --- generation -----------------------------------------------------------------------------------

SWEEP = np.linspace(0.0, 1.0, 4, dtype=np.float32)
ENDS = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)


def sample_request(n: int, seed: int = 0) -> dict:
    """Named values for ``n`` faces covering both ends of every condition (0, ¼, ½, ¾, 1 each)."""
    rng = np.random.default_rng(seed)
    return {field: rng.choice(ENDS, n) for field in ("male", "hair", "mouth", "eyes")}


def condition_grid(generator, seed: int = 0, values: dict | None = None):
    """Faces (rows, columns, H, W, 3) and their labels: rows sex × hair (dark / light hair of a man,
    then of a woman); columns the mouth closed → open, then the eyes closed → open; one z per column."""
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

    generator = run.family.inference(run)
    grid, rows, columns = condition_grid(generator, seed, values)
    random, _ = generator.generate(grid.shape[1], seed=seed + 1, **(values or {}))
    images = np.concatenate([grid, random[None]])
    asked = ", ".join(f"{k}={v:g}" for k, v in (values or {}).items()) or "defaults"
    figure = image_grid(images, row_labels=[*rows, f"random z ({asked})"], col_labels=columns)
    return [save_figure(figure, Path(path))]
