"""pix2pix: sketch → picture with a ResNet-9 (or U-Net) generator against a 70×70 PatchGAN (GAN + λ·L1).

Two models, two optimizers, no latent: the trainer (``cvae_tf.families.pix2pix.trainer.Pix2PixTrainer``) alternates a
D step and a G step. The data are A|B pair files (``cvae_tf.families.pix2pix.pairs``); with ``data.edges``
set, the inputs are edge maps drawn from the target photos (HED or Canny, cached) instead of
the pair's other half. Inputs follow the sketch convention: dark strokes on white.
``data.sketch_augment`` swaps training inputs for ``edges.sketchify``'d versions with that
probability (edge maps are cleaner than what people draw), and ``data.other_edges`` adds other
detectors' maps to what it swaps in. ``model.upsampling = resize`` trades the transposed convolutions
for resize-then-convolve, with the same weights and no checkerboard. ``model.generator = unet`` with
``training.gan_loss = bce`` and ``training.lambda_l1 = 100`` is the pix2pix paper's recipe;
``model.spectral_norm`` bounds the discriminator's steepness instead of normalising its features.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from cvae_tf.core.config import DataConfig, ModelSection, TrainingSection, choice
from cvae_tf.core.data.sources import register_format
from cvae_tf.core.family import Family, Prepared, register_family
from cvae_tf.core.inference import ImageTranslator
from cvae_tf.core.layers import UPSAMPLING
from cvae_tf.core.saving import SavedRun
from cvae_tf.core.training import learning_rate
from cvae_tf.families.pix2pix.edges import cached_edge_map
from cvae_tf.families.pix2pix.evaluate import evaluate_pix2pix, write_report
from cvae_tf.families.pix2pix.models import build_discriminator, build_generator, build_unet, input_multiple
from cvae_tf.families.pix2pix.pairs import edges_to_sketch, list_pairs, load_pairs, pair_dataset, sketch_variants
from cvae_tf.families.pix2pix.trainer import Pix2PixTrainer


@dataclass
class PairsDataConfig(DataConfig):
    format: str = "pairs"
    source: str = "facades"  # a folder of A|B pair files, or one with train/ (val/, test/) subfolders
    image_size: list = field(default_factory=lambda: [256, 256])
    channels: int = 1
    input_side: str = choice("right", ("left", "right"))  # which half of a pair file is the input
    edges: str = choice("none", ("none", "canny", "hed"))  # inputs: the other half, or edges of the photo
    edge_cache: str = "~/.cache/cvae_tf/edges"
    sketch_augment: float = 0.0  # training: probability that an input is swapped for a sketchify'd version
    sketch_variants: int = 2  # sketchify'd versions made per training input (seeded) when sketch_augment > 0
    # Edge detectors besides ``edges`` whose maps of the training photos join the alternates (e.g. [canny]):
    # a model trained on one detector's maps reads that detector's style, not edges in general.
    other_edges: list = field(default_factory=list)


@dataclass
class Pix2PixModelConfig(ModelSection):
    family: str = "pix2pix"
    base_filters: int = 64  # 64 with 9 blocks: the original's 11,377,155-parameter generator
    residual_blocks: int = 9
    discriminator_filters: int = 64
    upsampling: str = choice("transpose", UPSAMPLING)  # resize: nearest, then a 3×3 conv
    generator: str = choice("resnet", ("resnet", "unet"))  # unet: the pix2pix paper's, with skip connections
    unet_downs: int = 0  # U-Net depth; 0: log2 of the image size, a 1×1 bottleneck as in the paper (8 at 256²)
    spectral_norm: bool = False  # discriminator: spectrally normalised convs instead of instance norms


@dataclass
class Pix2PixTrainingConfig(TrainingSection):
    epochs: int = 200
    batch_size: int = 1
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    lambda_l1: float = 10.0
    l1_only: bool = False  # the baseline: no adversarial term, D never trained
    gan_loss: str = choice("lsgan", ("lsgan", "bce"))  # least squares, or the paper's cross-entropy on logits


@dataclass
class PairSplit:
    inputs: np.ndarray  # uint8 (N, H, W, 3) or (N, H, W)
    targets: np.ndarray  # uint8 (N, H, W, 3)
    others: np.ndarray | None = None  # uint8 (N, K, H, W): the edge maps of data.other_edges

    def __len__(self):
        return len(self.targets)


@dataclass
class PairData:
    train: PairSplit
    val: PairSplit
    test: PairSplit
    source: str


@register_format("pairs")
def load_pair_folder(data: PairsDataConfig, seed: int = 0) -> PairData:
    """train/ (and val/ or test/) subfolders of pair files, or one folder split by the fractions."""
    root = Path(data.source)
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such folder of A|B pair images")
    _check_other_edges(data)

    def split(folder, others=()):
        if not folder.is_dir():
            return None
        inputs, targets = load_pairs(folder, data.input_side)
        if data.edges == "none":
            return PairSplit(inputs, targets)
        paths = list_pairs(folder)
        inputs = _edge_sketches(paths, targets, data.edges, data.edge_cache)
        more = [_edge_sketches(paths, targets, method, data.edge_cache) for method in others]
        return PairSplit(inputs, targets, np.stack(more, axis=1) if more else None)

    train = split(root / "train", data.other_edges)
    if train is None:
        whole = split(root, data.other_edges)
        order = np.random.default_rng(seed).permutation(len(whole))
        n_val, n_test = (max(1, round(len(whole) * f)) for f in (data.val_fraction, data.test_fraction))
        parts = np.split(order, [n_val, n_val + n_test])
        others = (None if whole.others is None else whole.others[p] for p in parts)
        val, test, train = (PairSplit(whole.inputs[p], whole.targets[p], more) for p, more in zip(parts, others))
        return PairData(train, val, test, str(root))
    test = split(root / "test") or split(root / "val")
    val = split(root / "val") or test
    return PairData(train, val, test, str(root))


def _check_other_edges(data: PairsDataConfig) -> None:
    """``data.other_edges``: other detectors than ``data.edges``, swapped in at ``sketch_augment``'s rate."""
    if not data.other_edges:
        return
    known = [method for method in ("canny", "hed") if method != data.edges]
    unknown = [method for method in data.other_edges if method not in known]
    if data.edges == "none" or unknown:
        raise ValueError(f"data.other_edges = {data.other_edges}; expected some of {known} beside data.edges")
    if data.sketch_augment <= 0:
        raise ValueError("data.other_edges needs data.sketch_augment > 0: the rate at which an input is swapped")


def _edge_sketches(paths, photos, method, cache):
    """Edge maps of the photos as uint8 sketches (dark on white), each computed once and cached."""
    cache_dir = Path(cache).expanduser() / hashlib.sha1(str(Path(paths[0]).parent.resolve()).encode()).hexdigest()[:8]
    return np.stack([edges_to_sketch(cached_edge_map(p, photo, method, cache_dir)) for p, photo in zip(paths, photos)])


class Pix2Pix(Family):
    name = "pix2pix"
    data_config = PairsDataConfig
    model_config = Pix2PixModelConfig
    training_config = Pix2PixTrainingConfig
    monitor = "val_g_l1"  # the adversarial terms of two moving players do not compare across epochs
    description = "pix2pix: sketch → picture (U-Net or ResNet-9 generator, 70x70 PatchGAN)"

    def prepare(self, config, data) -> Prepared:
        size, training, augment = config.data.image_size[0], config.training, config.data.sketch_augment
        alternates = None
        if augment > 0:  # hand-drawn-looking inputs narrow the gap between edge maps and real sketches
            alternates = sketch_variants(data.train.inputs, config.data.sketch_variants, training.seed)
            if data.train.others is not None:  # and other detectors' maps, the gap between their styles
                alternates = np.concatenate([data.train.others, alternates], axis=1)
        train = pair_dataset(
            data.train.inputs, data.train.targets, training.batch_size, size, True, training.seed, alternates, augment
        )
        val = pair_dataset(data.val.inputs, data.val.targets, training.batch_size, size, False)
        return Prepared(train, val)

    def build_models(self, config) -> dict:
        model, channels = config.model, config.data.channels
        if model.generator == "unet":
            generator = build_unet(channels, model.base_filters, unet_downs(config), model.upsampling)
        else:
            generator = build_generator(channels, model.base_filters, model.residual_blocks, model.upsampling)
        discriminator = build_discriminator(3, channels, model.discriminator_filters, model.spectral_norm)
        return {"generator": generator, "discriminator": discriminator}

    def build_trainer(self, config, models, steps_per_epoch=None):
        return pix2pix_trainer(models["generator"], models["discriminator"], config.training, steps_per_epoch)

    def inference(self, run):
        config = self.run_config(run)
        multiple = input_multiple(config.model.generator, unet_downs(config))
        return ImageTranslator(run.model("generator"), multiple_of=multiple)

    def add_evaluate_arguments(self, parser):
        parser.add_argument(
            "--baseline",
            type=Path,
            action="append",
            default=[],
            help="pix2pix: another run to score beside it, e.g. the L1-only one (repeatable)",
        )
        parser.add_argument("--samples", type=int, default=6, help="pix2pix: test pairs in evaluation.png (default 6)")

    def evaluate(self, run, data, options):
        """L1 / PSNR / SSIM / Fréchet on the test split, edge and sketch-like inputs, with the baselines."""
        import json

        baselines = [SavedRun.open(path) for path in options.baseline]
        result = evaluate_pix2pix(run, baselines, data, seed=options.seed, samples=options.samples)
        return write_report(result, options.output or run.path), json.dumps(result["summary"])


def unet_downs(config) -> int:
    """The U-Net's depth: ``model.unet_downs``, or (0) as many halvings as the image size allows."""
    size = min(config.data.image_size)
    downs = config.model.unet_downs or int(np.log2(size))
    if config.model.generator == "unet" and size % 2**downs:
        raise ValueError(f"data.image_size {config.data.image_size} is not a multiple of 2^{downs} (model.unet_downs)")
    return downs


def pix2pix_trainer(generator, discriminator, training: Pix2PixTrainingConfig, steps_per_epoch=None):
    """The compiled ``Pix2PixTrainer`` of ``generator`` against ``discriminator``: two Adams."""
    trainer = Pix2PixTrainer(generator, discriminator, training.lambda_l1, training.l1_only, training.gan_loss)
    g_rate, d_rate = (learning_rate(training, steps_per_epoch) for _ in range(2))
    trainer.compile(
        g_optimizer=keras.optimizers.Adam(g_rate, beta_1=training.beta_1),
        d_optimizer=keras.optimizers.Adam(d_rate, beta_1=training.beta_1),
        jit_compile=training.jit_compile,
    )
    return trainer


register_family(Pix2Pix())
