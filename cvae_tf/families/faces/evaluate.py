"""How well a face run obeys its conditions and how its faces look, judged by the four condition models.

Control (face C-VAE only): the requested sex against the judged one on extreme requests, the
flip test (the same z with the sex flipped), and Pearson's r between requested and judged
values per regressor. Quality (any face VAE, so the vanilla VAE is the baseline): sharpness
(the Laplacian variance of prior samples over real faces'), the grid share (samples whose
spectrum peaks at period 2, a transposed convolution's checkerboard, above 99% of real faces), the Fréchet
distance to held-out real faces in the sex model's feature space, diversity in that space
relative to real faces, and the reconstruction PSNR of test faces. ``--descriptor-judge DIR``
adds the verdicts of a judge trained apart from this pipeline: dlib's face descriptor with a sex
probe (``descriptor_judge``).
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from cvae_tf.core import metrics
from cvae_tf.core.inference import as_model_input
from cvae_tf.core.saving import atomic_file
from cvae_tf.families.faces.condition import FaceAttributes, sex_requests
from cvae_tf.families.faces.condition_models import load_condition_models
from cvae_tf.families.faces.descriptor_judge import DescriptorJudge, descriptor_rows, descriptor_verdict


def judge_features(condition_models) -> keras.Model:
    """The sex classifier up to its global average: the feature space of the Fréchet distance."""
    sex = condition_models["classify_male_or_female"]
    trunk = next(layer for layer in sex.layers if isinstance(layer, keras.Model))
    return keras.Model(sex.input, trunk(sex.input["image"]), name="face_features")


def quality(run, reference, condition_models, n: int = 500, seed: int = 0) -> dict:
    """Sharpness ratio, grid share, Fréchet distance, diversity and reconstruction PSNR of ``run`` on
    ``reference`` faces."""
    generator = run.family.inference(run)
    real = as_model_input(reference.images[:n])
    values = run.family.sample_request(len(real), seed)[1] if generator.conditional else {}
    fake, _ = generator.generate(len(real), seed=seed, **values)
    features = judge_features(condition_models)

    def embed(images):
        return features.predict({"image": images}, batch_size=256, verbose=0)

    real_features, fake_features = embed(real), embed(fake)
    half = len(real) // 2
    conditions = generator.condition.of_images(real) if generator.conditional else None
    reconstructions = generator.reconstruct(real, conditions)
    psnr = -10 * np.log10(np.mean(np.square(reconstructions - real), axis=(1, 2, 3)))
    return {
        "sharpness_ratio": metrics.sharpness_ratio(as_model_input(fake), real),
        "grid_share": metrics.grid_share(as_model_input(fake), real),
        "frechet": metrics.frechet_distance(fake_features, real_features),
        "frechet_real_vs_real": metrics.frechet_distance(real_features[:half], real_features[half:]),
        "diversity_ratio": metrics.spread(fake_features) / metrics.spread(real_features),
        "reconstruction_psnr": float(psnr.mean()),
    }


def control(run, condition_models=None, n: int = 400, seed: int = 0) -> dict:
    """How far the conditions of generated faces, as ``condition_models`` (default: the run's own) read
    them, follow the requested ones. Judges trained apart from the run (another seed) keep a run
    that learned from its own models' verdicts (``training.judge_weight``) honest."""
    generator = run.family.inference(run)
    judge = FaceAttributes(condition_models) if condition_models else run.condition
    requested, faces, flipped = sex_requests(generator, n, seed)
    judged = judge.values_of(faces)
    flipped_male = judge.values_of(flipped)["male"]
    obeyed = (judged["male"] > 0.5) == (requested["male"] > 0.5)
    return {
        "sex_obeyed": float(obeyed.mean()),
        "flip_test": float(np.mean((judged["male"] > 0.5) != (flipped_male > 0.5))),
        "pearson_r": {
            name: float(np.corrcoef(requested[name], judged[name])[0, 1]) for name in ("hair", "mouth", "eyes")
        },
    }


def evaluate_face_run(run, data, condition_models=None, seed: int = 0, judge_name: str = "own") -> dict:
    """Every measure of a face run (a face C-VAE, or a vanilla VAE) judged by ``condition_models``
    (default: the run's own four, named ``judge_name`` in the report)."""
    condition_models = condition_models or run.condition.models
    quality_ = quality(run, data.test, condition_models)
    result = {"run": str(run.path), "family": run.family.name, "judge": judge_name, "quality": quality_}
    if run.condition is not None:
        result["control"] = control(run, condition_models, seed=seed)
    return result


def markdown(result: dict) -> str:
    q = result["quality"]
    lines = [
        f"# Evaluation of `{result['run']}` ({result['family']})",
        "",
        f"Judged by the condition models: {result.get('judge', 'own')}.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| sharpness ratio (Laplacian variance, samples / real) | {q['sharpness_ratio']:.3f} | ≥ 0.7 |",
        f"| grid share (period-2 spectral peak above 99% of real faces') | {q['grid_share']:.1%} | ≤ 2% (real 1%) |",
        f"| Fréchet distance (sex-model features) | {q['frechet']:.3f} (real vs real {q['frechet_real_vs_real']:.3f}) "
        "| below the VAE baseline |",
        f"| diversity vs real | {q['diversity_ratio']:.1%} | |",
        f"| reconstruction PSNR | {q['reconstruction_psnr']:.2f} dB | |",
    ]
    if "control" in result:
        c = result["control"]
        lines += [
            f"| requested sex obeyed (extreme requests) | {c['sex_obeyed']:.1%} | ≥ 90% |",
            f"| flip test (same z, sex flipped) | {c['flip_test']:.1%} | ≥ 85% |",
            *[f"| Pearson r, {name} | {r:.3f} | ≥ 0.6 |" for name, r in c["pearson_r"].items()],
        ]
    if "descriptor_judge" in result:
        lines += ["", *descriptor_rows(result["descriptor_judge"], result.get("control"))]
    return "\n".join(lines) + "\n"


def write_face_report(result: dict, output_dir) -> list[Path]:
    return _write(output_dir, json.dumps(result, indent=2), markdown(result).rstrip())


def write_condition_report(table, run_path, output_dir) -> list[Path]:
    """``evaluation.md`` and ``evaluation.json`` of the condition models' scores (one row per model)."""
    header = f"# Evaluation of `{run_path}` (face_conditions, {int(table['n'].max())} held-out faces at most)\n\n"
    text = table.to_string(float_format=lambda v: f"{v:.4f}")
    return _write(output_dir, table.to_json(orient="index", indent=2), f"{header}```\n{text}\n```")


def _write(output_dir, json_text: str, markdown_text: str) -> list[Path]:
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("evaluation.json", json_text), ("evaluation.md", markdown_text + "\n")):
        with atomic_file(output_dir / name) as temporary:
            temporary.write_text(text)
        paths.append(output_dir / name)
    return paths


def add_arguments(parser) -> None:
    """The face judge's ``cvae-tf evaluate`` flag."""
    parser.add_argument("--judge", type=Path, help="faces: a face_conditions run to judge by (default: the run's own)")
    parser.add_argument(
        "--descriptor-judge",
        type=Path,
        help="faces: also judge by dlib's face descriptor and this sex probe (benchmarks/face_descriptor_judge.py)",
    )


def evaluate_faces(run, data, options):
    """``cvae-tf evaluate`` for a VAE trained on faces: control and quality, judged by the condition
    models of ``options.judge`` (a vanilla VAE has none of its own) or by the run's own."""
    judge = load_condition_models(options.judge) if options.judge else None
    if judge is None and run.condition is None:
        raise ValueError(f"{run.path}: an unconditional face run needs --judge DIR (a face_conditions run)")
    judge_name = str(options.judge) if options.judge else "own (the run's condition_models)"
    descriptor_judge = getattr(options, "descriptor_judge", None)
    descriptor_judge = DescriptorJudge.load(descriptor_judge) if descriptor_judge else None
    result = evaluate_face_run(run, data, judge, seed=options.seed, judge_name=judge_name)
    if descriptor_judge is not None:
        result["descriptor_judge"] = descriptor_verdict(run, descriptor_judge, seed=options.seed, reference=data.test)
    return write_face_report(result, options.output or run.path), json.dumps(result, indent=2)
