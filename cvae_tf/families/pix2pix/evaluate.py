"""Scoring a pix2pix run on its test split: L1, PSNR, SSIM and a Fréchet distance, against baselines.

``cvae-tf evaluate RUN`` on a pix2pix run comes here. Every model is judged twice on the same
test pictures: with the inputs it was trained on (the edge maps of the photos, e.g. HED) and with
**sketch-like** versions of them (``edges.sketchify``, seeded), which look more like what a person
draws; the fall from the first to the second is the gap between edge maps and hand-drawn sketches.

Metrics, all on pictures in [0, 1] at the model's size, averaged over the test pairs:

- ``l1``: mean |output − target| (in [0, 1] units; the training log's ``g_l1`` is twice this,
  being in [−1, 1] units); lower is better.
- ``psnr`` (dB) and ``ssim``: ``tf.image.psnr`` / ``tf.image.ssim`` with ``max_val=1``; higher is better.
- ``frechet``: the Fréchet distance between Gaussians fitted to features of the outputs and of the
  targets, lower is better. No pretrained network can be downloaded here (FID's Inception),
  so the features are **fixed random projections**: each picture is average-pooled to 32×32×3,
  flattened and projected onto 64 seeded random unit directions (the same for every model).
  The numbers compare models on this test set; they are not FID values.

Baselines: other runs given with ``--baseline`` (the L1-only generator, ``training.l1_only``) and
the **mean training picture** (one picture for every input: what a model that ignores its input
can reach on L1 at best among constants, with no variety at all).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cvae_tf.core.metrics import frechet_distance
from cvae_tf.core.saving import atomic_file
from cvae_tf.families.pix2pix.pairs import pair_dataset, sketch_variants

FEATURE_POOL = 32  # pictures are average-pooled to this size before the projection
FEATURE_DIM = 64  # random directions; well under the 106 facades test pairs, so the covariances are usable
INPUT_KINDS = ("edges", "sketch")


def sketch_like(sketches, seed=0) -> np.ndarray:
    """Hand-drawn-looking versions of uint8 edge sketches (dark on white), one per sketch, seeded."""
    return sketch_variants(sketches, count=1, seed=seed + 1000)[:, 0]  # other seeds than training's variants


def test_pictures(inputs, targets, size):
    """(sketches (N, S, S, 1) in [0, 1], targets (N, S, S, 3) in [0, 1]) as the model sees them."""
    sketches, pictures = [], []
    for batch in pair_dataset(inputs, targets, 16, size, training=False):
        sketches.append(batch["sketch"].numpy())
        pictures.append((batch["image"].numpy() + 1.0) / 2.0)
    return np.concatenate(sketches), np.concatenate(pictures)


def mean_picture(targets, size) -> np.ndarray:
    """The mean training target at ``size``, in [0, 1] (S, S, 3)."""
    import tensorflow as tf

    total = np.zeros((size, size, 3), np.float64)
    for start in range(0, len(targets), 64):
        chunk = tf.image.resize(np.asarray(targets[start : start + 64], np.float32) / 255.0, (size, size))
        total += chunk.numpy().sum(axis=0)
    return (total / len(targets)).astype(np.float32)


def projection_features(pictures, dim=FEATURE_DIM, pool=FEATURE_POOL, seed=0) -> np.ndarray:
    """(N, dim) features: average-pool to pool×pool, flatten, project on ``dim`` seeded random unit vectors."""
    import tensorflow as tf

    pooled = tf.image.resize(np.asarray(pictures, np.float32), (pool, pool), method="area").numpy()
    flat = pooled.reshape(len(pooled), -1).astype(np.float64)
    directions = np.random.default_rng(seed).standard_normal((flat.shape[1], dim))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return flat @ directions


def picture_metrics(outputs, targets) -> dict:
    """L1, PSNR, SSIM (means over the pictures) and the Fréchet distance of outputs to targets, all in [0, 1]."""
    import tensorflow as tf

    outputs, targets = np.asarray(outputs, np.float32), np.asarray(targets, np.float32)
    return {
        "l1": float(np.mean(np.abs(outputs - targets))),
        "psnr": float(tf.reduce_mean(tf.image.psnr(outputs, targets, max_val=1.0))),
        "ssim": float(tf.reduce_mean(tf.image.ssim(outputs, targets, max_val=1.0))),
        "frechet": frechet_distance(projection_features(outputs), projection_features(targets)),
    }


def evaluate_pix2pix(run, baselines, data, seed=0, samples=6):
    """Score ``run`` and its baselines on the test split with edge and sketch-like inputs.

    ``baselines`` are other SavedRuns (e.g. the L1-only one); ``data`` the loaded PairData
    (``run.family.run_data(run)`` for the run's own). Returns {"summary", "metrics", "grid"}: metrics[model][kind] is
    ``picture_metrics``; grid is a uint8 picture of the first ``samples`` test pairs.
    """
    size = int(run.manifest["config"]["data"]["image_size"][0])
    sketches = {"edges": data.test.inputs, "sketch": sketch_like(data.test.inputs, seed)}
    inputs, targets = {}, None
    for kind, raw in sketches.items():
        inputs[kind], targets = test_pictures(raw, data.test.targets, size)
    models = {run.path.name: run, **{baseline.path.name: baseline for baseline in baselines}}
    outputs = {
        name: {kind: model.family.inference(model).translate(inputs[kind]) for kind in INPUT_KINDS}
        for name, model in models.items()
    }
    mean = np.broadcast_to(mean_picture(data.train.targets, size), targets.shape)
    outputs["mean training picture"] = {kind: mean for kind in INPUT_KINDS}
    metrics = {
        name: {kind: picture_metrics(out[kind], targets) for kind in INPUT_KINDS} for name, out in outputs.items()
    }
    ours = metrics[run.path.name]
    summary = {
        "model": run.path.name,
        "test_pairs": int(len(targets)),
        "image_size": size,
        "edges": run.manifest["config"]["data"].get("edges", "none"),
        **{
            f"{key}_{kind}": round(ours[kind][key], 4)
            for kind in INPUT_KINDS
            for key in ("l1", "psnr", "ssim", "frechet")
        },
    }
    names = [run.path.name] + [baseline.path.name for baseline in baselines]
    columns, header = [], []
    for kind, label in (("edges", "edges"), ("sketch", "sketch-like")):
        columns += [inputs[kind]] + [outputs[name][kind] for name in names]
        header += [label] + [f"{name} ({label})" for name in names]
    columns, header = columns + [targets], header + ["target"]
    return {"summary": summary, "metrics": metrics, "grid": result_grid(columns, samples), "columns": header}


def result_grid(columns, samples=6, gap=4) -> np.ndarray:
    """uint8 grid: one row per test pair, the columns side by side (greyscale inputs shown as RGB)."""
    rows = []
    for index in range(min(samples, len(columns[0]))):
        cells = [np.repeat(c[index], 3, -1) if c[index].shape[-1] == 1 else c[index] for c in columns]
        spaced = []
        for cell in cells:
            spaced += [cell, np.ones((cell.shape[0], gap, 3), np.float32)]
        rows += [np.concatenate(spaced[:-1], axis=1), np.ones((gap, sum(c.shape[1] for c in spaced[:-1]), 3))]
    grid = np.concatenate(rows[:-1], axis=0)
    return np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)


def markdown_table(metrics) -> str:
    """One row per model and input kind: L1, PSNR, SSIM, Fréchet."""
    lines = [
        "| model | input | L1 ↓ | PSNR (dB) ↑ | SSIM ↑ | Fréchet (RP-64) ↓ |",
        "|---|---|---|---|---|---|",
    ]
    for kind in INPUT_KINDS:
        for name, by_kind in metrics.items():
            m = by_kind[kind]
            label = "HED / edge maps" if kind == "edges" else "sketch-like (sketchify)"
            lines.append(
                f"| {name} | {label} | {m['l1']:.4f} | {m['psnr']:.2f} | {m['ssim']:.4f} | {m['frechet']:.2f} |"
            )
    return "\n".join(lines)


def write_report(result, folder) -> list[Path]:
    """evaluation.json, evaluation.md and evaluation.png in ``folder``; returns their paths."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "evaluation.json", folder / "evaluation.md", folder / "evaluation.png"]
    report = {"summary": result["summary"], "metrics": result["metrics"], "grid_columns": result["columns"]}
    with atomic_file(paths[0]) as temporary:
        Path(temporary).write_text(json.dumps(report, indent=2) + "\n")
    text = (
        f"# Evaluation of {result['summary']['model']}\n\n"
        f"{result['summary']['test_pairs']} test pairs at {result['summary']['image_size']}². "
        "L1 in [0, 1] units; Fréchet distance on 64 random projections of 32×32 pooled pictures "
        "(not FID; see cvae_tf/families/pix2pix/evaluate.py).\n\n"
        f"{markdown_table(result['metrics'])}\n\n"
        f"evaluation.png columns: {' | '.join(result['columns'])}\n"
    )
    with atomic_file(paths[1]) as temporary:
        Path(temporary).write_text(text)
    with atomic_file(paths[2]) as temporary:
        Image.fromarray(result["grid"]).save(temporary, format="PNG")
    return paths
