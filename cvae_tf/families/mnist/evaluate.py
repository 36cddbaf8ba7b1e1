"""The evaluation report of a trained run: what its digits look like to ``classify_nums``, in numbers.

``evaluate_run`` gathers every metric into one JSON-ready dict; ``write_report`` turns it into
``evaluation.json``, ``evaluation.md`` (the targets, met or not) and ``evaluation.png``. The judge
is a ``classify_nums`` run trained beforehand (``cvae-tf train classify_nums``; notebook 04);
evaluation never trains one.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from cvae_tf.core import metrics
from cvae_tf.core.data import held_out, make_dataset
from cvae_tf.core.errors import RunError
from cvae_tf.core.plots import save_figure
from cvae_tf.core.saving import MANIFEST, SavedRun, atomic_file
from cvae_tf.families.mnist import metrics as digit_metrics
from cvae_tf.families.mnist.classifier import feature_model
from cvae_tf.families.mnist.generate import (
    generate,
    is_conditional,
    latent_dim_of,
    sample_latents,
    sample_unconditional,
)
from cvae_tf.families.mnist.plots import evaluation_figure

CLASSIFIER = "classify_nums"
SWEEP = np.linspace(-1.0, 1.0, 9, dtype=np.float32)

# The default model's quality targets: (key in the summary, comparison, bound).
TARGETS = {
    "conditional accuracy": ("conditional_accuracy", ">=", 0.995),
    "thickness correlation, worst digit": ("worst_correlation", ">=", 0.98),
    "thickness slope error vs 2·σ_d, worst digit": ("worst_slope_error", "<=", 0.10),
    "grey share error vs real": ("grey_share_error", "<=", 0.10),
    "diversity vs real": ("diversity_ratio", ">=", 0.90),
    "Fréchet distance vs real-vs-real": ("frechet_ratio", "<=", 3.0),
}


class Judge:
    """``classify_nums`` and its feature model: predicted digits and Fréchet features of images."""

    def __init__(self, classifier):
        self.classifier = classifier
        self.features_of = feature_model(classifier)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.classifier.predict({"image": _with_channel(images)}, batch_size=512, verbose=0).argmax(1)

    def features(self, images: np.ndarray) -> np.ndarray:
        return self.features_of.predict({"image": _with_channel(images)}, batch_size=512, verbose=0)


def evaluate_run(run, data, judge: Judge, per_class: int = 100, seed: int = 0) -> dict:
    """Every metric of ``run`` (a ``SavedRun``) against the real test split of ``data``.

    Seeded throughout (the latents, the real subsets, and the encoder's sampling in the test
    losses, which draws from the seed set here when the run's models load): a freshly opened run
    gives the same numbers for the same data and seed.
    """
    keras.utils.set_random_seed(seed)
    reference = held_out(data)
    real = reference.images / 255.0
    real_a, real_b = two_real_sets(reference.labels, per_class, np.random.default_rng(seed))
    result = {
        "run": str(run.path),
        "family": run.manifest.get("family"),
        "samples_per_digit": per_class,
        "classifier_test_accuracy": digit_metrics.conditional_accuracy(judge.predict(real), reference.labels),
        "test_losses": test_losses(run, reference),
    }
    if is_conditional(run.decoder):
        # Like the second real set: the grey share, diversity and Fréchet distance below compare samples
        # with real digits, whose strokes vary (at c = 0 alone the samples would all share one thickness).
        digits = reference.labels[real_b]
        fake = like_real(run, reference, real_b, seed)
        result["conditional_accuracy"] = digit_metrics.conditional_accuracy(judge.predict(fake), digits)
        result["thickness"] = thickness_adherence(run, judge, seed)
    else:
        fake = sample_unconditional(run.decoder, 10 * per_class, seed)
        digits = judge.predict(fake)  # an unconditional model's digits are what the judge reads
    labels_a, labels_b = reference.labels[real_a], reference.labels[real_b]
    result["pixel_shares"] = {"generated": metrics.pixel_shares(fake), "real": metrics.pixel_shares(real[real_a])}
    result["diversity"] = {
        "generated": metrics.diversity(fake, digits),
        "real": metrics.diversity(real[real_a], labels_a),
    }
    result["frechet"] = frechet_report(judge, fake, digits, real[real_a], labels_a, real[real_b], labels_b)
    result["summary"] = summarise(result)
    return result


def two_real_sets(labels, per_class: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two disjoint real sets with up to ``per_class`` images of each digit (the same count in both)."""
    first, second = [], []
    for digit in range(10):
        picked = rng.permutation(np.flatnonzero(labels == digit))[: 2 * per_class]
        half = len(picked) // 2
        first.append(picked[:half])
        second.append(picked[half : 2 * half])
    return np.concatenate(first), np.concatenate(second)


def test_losses(run, split) -> dict:
    """Mean loss terms per test image (the training objective), the name of its reconstruction term, and the
    per-pixel error of the mean latent."""
    conditions = run.condition.of_images(split.images, split.labels) if run.condition is not None else None
    batches = make_dataset(split.images, conditions, batch_size=512)
    trainer = run.family.build_trainer(run.family.run_config(run), {"encoder": run.encoder, "decoder": run.decoder})
    terms = trainer.evaluate(batches, verbose=0, return_dict=True)
    errors = []
    for batch in batches:
        z_mean = run.encoder(batch, training=False)["z_mean"]
        decoded = run.decoder({"z": z_mean, **{k: v for k, v in batch.items() if k != "image"}}, training=False)
        errors.append(np.mean(np.square(batch["image"].numpy() - decoded.numpy()), axis=(1, 2, 3)))
    return {
        **{key: float(value) for key, value in terms.items()},
        "reconstruction": trainer.reconstruction,
        "pixel_mse_of_mean": float(np.concatenate(errors).mean()),
    }


def thickness_adherence(run, judge: Judge, seed: int = 0, latents: int = 10) -> dict:
    """Per digit, over c = −1 … 1 with the latent fixed: correlation, slope, and slope against 2·σ_d."""
    digits = np.repeat(np.arange(10), latents * len(SWEEP))
    whites = np.tile(SWEEP, 10 * latents)
    z = np.repeat(sample_latents(10 * latents, latent_dim_of(run.decoder), seed + 1), len(SWEEP), axis=0)
    images = generate(run.decoder, digits, whites, z=z)
    per_digit = digit_metrics.white_adherence(images, digits, whites)
    for digit, values in per_digit.items():
        implied = 2.0 * float(run.condition.std[digit])
        values.update(implied_slope=implied, slope_error=abs(values["slope"] / implied - 1.0))
    accuracy = digit_metrics.conditional_accuracy(judge.predict(images), digits)["overall"]
    return {"per_digit": per_digit, "accuracy_over_sweep": accuracy}


def frechet_report(judge, fake, fake_labels, real_a, labels_a, real_b, labels_b) -> dict:
    """Fréchet distances of generated to real and, as the yardstick, of real to other real, same sizes."""
    f_fake, f_a, f_b = judge.features(fake), judge.features(real_a), judge.features(real_b)

    def per_digit(features, labels):
        # None where a digit has under two images (an unconditional model may draw few of one digit)
        return [
            metrics.frechet_distance(features[labels == d], f_a[labels_a == d]) if np.sum(labels == d) > 1 else None
            for d in range(10)
        ]

    return {
        "generated_vs_real": metrics.frechet_distance(f_fake, f_a),
        "real_vs_real": metrics.frechet_distance(f_b, f_a),
        "per_digit_generated_vs_real": per_digit(f_fake, fake_labels),
        "per_digit_real_vs_real": per_digit(f_b, labels_b),
    }


def summarise(result: dict) -> dict:
    """The headline numbers, one value each, as the targets and the ablation table use them."""
    shares = result["pixel_shares"]
    summary = {
        "grey_share": shares["generated"]["grey"],
        "grey_share_real": shares["real"]["grey"],
        "grey_share_error": abs(shares["generated"]["grey"] / shares["real"]["grey"] - 1.0),
        "black_share": shares["generated"]["black"],
        "diversity_ratio": result["diversity"]["generated"] / result["diversity"]["real"],
        "frechet": result["frechet"]["generated_vs_real"],
        "frechet_ratio": result["frechet"]["generated_vs_real"] / result["frechet"]["real_vs_real"],
        "test_loss": result["test_losses"]["loss"],
        "test_reconstruction": result["test_losses"][result["test_losses"]["reconstruction"]],
        "test_kl": result["test_losses"]["kl"],
    }
    if "conditional_accuracy" in result:
        per_digit = result["thickness"]["per_digit"].values()
        summary.update(
            conditional_accuracy=result["conditional_accuracy"]["overall"],
            worst_correlation=min(values["correlation"] for values in per_digit),
            worst_slope_error=max(values["slope_error"] for values in per_digit),
        )
    return summary


def targets_table(summary: dict) -> list[tuple[str, str, float, bool]]:
    """(name, bound, measured, met) for each target the summary has a number for."""
    rows = []
    for name, (key, comparison, bound) in TARGETS.items():
        if key in summary:
            value = summary[key]
            met = value >= bound if comparison == ">=" else value <= bound
            rows.append((name, f"{comparison} {bound:g}", value, met))
    return rows


def summary_row(name: str, evaluation: dict) -> dict:
    """One row of the ablation table: a variant's headline numbers, rounded for reading."""
    s = evaluation["summary"]
    return {
        "variant": name,
        "cond. acc.": _percent(s.get("conditional_accuracy")),
        "thickness corr. (worst)": _round(s.get("worst_correlation"), 3),
        "slope error (worst)": _percent(s.get("worst_slope_error")),
        "grey share": _percent(s["grey_share"]),
        "black share": _percent(s["black_share"]),
        "diversity vs real": _percent(s["diversity_ratio"]),
        "Fréchet / real-vs-real": _round(s["frechet_ratio"], 2),
        "test loss (reconstruction, KL)": f"{s['test_loss']:.2f} ({s['test_reconstruction']:.2f}, {s['test_kl']:.2f})",
    }


def markdown(result: dict) -> str:
    """``evaluation.md``: the targets, then the per-digit numbers."""
    s = result["summary"]
    lines = [
        f"# Evaluation of `{result['run']}`",
        "",
        f"{result['samples_per_digit']} prior samples per digit (a conditional model's at the stroke thicknesses "
        f"of as many real test digits), judged by `{CLASSIFIER}` "
        f"(test accuracy {result['classifier_test_accuracy']['overall']:.2%} on real digits).",
        "",
        "| target | bound | measured | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {bound} | {value:.4g} | {'yes' if met else '**no**'} |"
        for name, bound, value, met in targets_table(s)
    ]
    lines += [
        "",
        f"Grey share {s['grey_share']:.2%} (real {s['grey_share_real']:.2%}), black share {s['black_share']:.2%}. "
        f"Fréchet distance {s['frechet']:.2f} (real vs real {result['frechet']['real_vs_real']:.2f}). "
        f"Test loss {s['test_loss']:.2f} = {result['test_losses']['reconstruction'].upper()} "
        f"{s['test_reconstruction']:.2f} + KL {s['test_kl']:.2f} + k·grey; "
        f"per-pixel error of the mean latent {result['test_losses']['pixel_mse_of_mean']:.4f}.",
        "",
    ]
    if "conditional_accuracy" in result:
        thickness = result["thickness"]["per_digit"]
        frechet = result["frechet"]
        lines += [
            "| digit | accuracy | thickness corr. | slope / 2·σ_d | Fréchet (real vs real) |",
            "|---|---|---|---|---|",
        ]
        for d in range(10):
            t = thickness[d] if d in thickness else thickness[str(d)]
            lines.append(
                f"| {d} | {result['conditional_accuracy']['per_digit'][d]:.1%} | {t['correlation']:.3f} | "
                f"{t['slope'] / t['implied_slope']:.2f} | {frechet['per_digit_generated_vs_real'][d]:.1f} "
                f"({frechet['per_digit_real_vs_real'][d]:.1f}) |"
            )
    return "\n".join(lines) + "\n"


def write_report(result: dict, samples, output_dir) -> list[Path]:
    """Write ``evaluation.json``, ``evaluation.md`` and ``evaluation.png`` into ``output_dir`` (atomically each)."""
    output_dir = Path(output_dir)
    paths = []
    for name, text in (("evaluation.json", json.dumps(result, indent=2)), ("evaluation.md", markdown(result))):
        with atomic_file(output_dir / name) as temporary:
            temporary.write_text(text)
        paths.append(output_dir / name)
    paths.append(save_figure(evaluation_figure(result, *samples), output_dir / "evaluation.png"))
    return paths


def like_real(run, reference, indices, seed: int) -> np.ndarray:
    """Prior samples of a conditional run, one per real digit ``indices`` of ``reference``: its digit at its
    stroke thickness c."""
    values = run.condition.values_of(reference.images[indices], reference.labels[indices])
    return generate(run.decoder, values["digit"], values["white"], seed=seed)


def side_by_side_samples(run, data, per_row: int = 8, seed: int = 0):
    """Generated and real digits, ``per_row`` of each per digit, for the report's figure; a conditional
    model draws each at the stroke thickness of the real digit in the same place."""
    reference = held_out(data)
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(np.flatnonzero(reference.labels == d), per_row, replace=False) for d in range(10)])
    real = reference.images[picks] / 255.0
    if is_conditional(run.decoder):
        fake = like_real(run, reference, picks.ravel(), seed + 7)
    else:
        fake = sample_unconditional(run.decoder, 10 * per_row, seed + 7)
    return fake.reshape(10, per_row, *fake.shape[1:]), real


def _with_channel(images):
    images = np.asarray(images, np.float32)
    return images[..., None] if images.ndim == 3 else images


def _percent(value):
    return "–" if value is None else f"{value:.1%}"


def _round(value, digits):
    return "–" if value is None else round(float(value), digits)


def load_judge(folder) -> Judge:
    """The ``classify_nums`` run in ``folder`` as a ``Judge``; a missing one is an error naming the
    command that trains it."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise RunError(
            f"{folder}: no classify_nums run to judge the digits; train it first: "
            f"cvae-tf train classify_nums --data SOURCE --output {folder}"
        )
    return Judge(SavedRun.open(folder).model("classifier"))


def add_arguments(parser) -> None:
    """The digit judge's ``cvae-tf evaluate`` flags."""
    parser.add_argument(
        "--classifier",
        type=Path,
        help=f"digits: a classify_nums run to judge by (default: {CLASSIFIER} beside the run; "
        f"cvae-tf train classify_nums makes it)",
    )
    parser.add_argument("--per-class", type=int, default=100, help="digits: generated images per digit (default 100)")


def evaluate_digits(run, data, options):
    """``cvae-tf evaluate`` for a VAE trained on digits: judged by ``classify_nums``."""
    judge = load_judge(options.classifier or run.path.parent / CLASSIFIER)
    result = evaluate_run(run, data, judge, per_class=options.per_class, seed=options.seed)
    samples = side_by_side_samples(run, data, seed=options.seed)
    return write_report(result, samples, options.output or run.path), json.dumps(result["summary"])
