"""Scoring a pix2pix run on its test split: L1, PSNR, SSIM, a Fréchet distance, sharpness and a fixed
pattern, against baselines.

``cvae-tf evaluate RUN`` on a pix2pix run comes here. Every model is judged on the same test pictures
with several kinds of input:

- ``edges``: the run's own inputs (for an edge-trained run, its detector's maps of the test photos);
- ``sketch``: **sketch-like** versions of them (``edges.sketchify``, seeded), closer to what a person
  draws; the fall from ``edges`` to ``sketch`` is the gap between edge maps and hand-drawn strokes;
- for an edge-trained run, every **other detector** (``canny`` for a HED run, ``hed`` for a Canny one)
  and its sketch-like version (``canny_sketch``): a model that reads edges rather than one detector's
  style does about as well on them.

Metrics, all on pictures in [0, 1] at the model's size, averaged over the test pairs:

- ``l1``: mean |output − target| (in [0, 1] units; the training log's ``g_l1`` is twice this,
  being in [−1, 1] units); lower is better.
- ``psnr`` (dB) and ``ssim``: ``tf.image.psnr`` / ``tf.image.ssim`` with ``max_val=1``; higher is better.
- ``frechet``: the Fréchet distance between Gaussians fitted to features of the outputs and of the
  targets, lower is better. No pretrained network can be downloaded here (FID's Inception),
  so the features are **fixed random projections**: each picture is average-pooled to 32×32×3,
  flattened and projected onto 64 seeded random unit directions (the same for every model).
  The numbers compare models on this test set; they are not FID values.
- ``sharpness``: the outputs' mean variance of the Laplacian (of the grey picture) over the
  targets'; real photos are 1, a blurred picture near 0, a noisy or gridded one above 1.
- ``grid_share``: the share of outputs whose spectrum peaks at period 2 (the checkerboard of a stride-2
  transposed convolution) above 99% of the targets' peaks (``core.metrics.grid_share``); about 1% for
  real photos, lower is better.
- ``fixed_pattern``: the largest gap, over 8×8-pixel cells, between the outputs' mean picture and
  the targets' mean picture (mean |difference| over RGB, in [0, 1]). A mark that a generator plants
  at the same place whatever the input (a "droplet" blotch) stays in the mean; real detail averages
  out. ``fixed_pattern_cell`` says where (row, column of the cell).

Baselines: other runs given with ``--baseline`` (the L1-only generator, ``training.l1_only``) and
the **mean training picture** (one picture for every input: what a model that ignores its input
can reach on L1 at best among constants, with no variety at all).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cvae_tf.core.inference import to_uint8
from cvae_tf.core.metrics import frechet_distance, grid_share, sharpness_ratio
from cvae_tf.core.saving import atomic_file
from cvae_tf.families.pix2pix.edges import METHODS, edge_map
from cvae_tf.families.pix2pix.pairs import edges_to_sketch, pair_dataset, sketch_variants

FEATURE_POOL = 32  # pictures are average-pooled to this size before the projection
FEATURE_DIM = 64  # random directions; well under the 106 facades test pairs, so the covariances are usable
PATTERN_CELL = 8  # pixels: the cell size of the fixed-pattern measure


def sketch_like(sketches, seed=0) -> np.ndarray:
    """Hand-drawn-looking versions of uint8 edge sketches (dark on white), one per sketch, seeded."""
    return sketch_variants(sketches, count=1, seed=seed + 1000)[:, 0]  # other seeds than training's variants


def judged_inputs(data, edges="none", seed=0) -> dict:
    """Input kind → uint8 sketches of the test photos (see the module's docstring for the kinds)."""
    kinds = {"edges": data.test.inputs, "sketch": sketch_like(data.test.inputs, seed)}
    for method in [] if edges == "none" else [m for m in METHODS if m != edges]:
        drawn = np.stack([edges_to_sketch(edge_map(photo, method)) for photo in data.test.targets])
        kinds[method], kinds[f"{method}_sketch"] = drawn, sketch_like(drawn, seed)
    return kinds


def kind_label(kind: str, edges: str = "none") -> str:
    """How a table names an input kind of a run trained on ``edges``."""
    detector = edges if kind in ("edges", "sketch") else kind.removesuffix("_sketch")
    name = {"none": "the run's inputs", "hed": "HED edges", "canny": "Canny edges"}[detector]
    return f"{name}, hand-drawn-like" if kind.endswith("sketch") else name


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


def fixed_pattern(outputs, targets, cell=PATTERN_CELL) -> tuple[float, list]:
    """(largest cell gap between the mean output and the mean target, [row, column] of that cell)."""
    gap = np.abs(np.mean(outputs, axis=0, dtype=np.float64) - np.mean(targets, axis=0, dtype=np.float64)).mean(-1)
    rows, columns = gap.shape[0] // cell, gap.shape[1] // cell
    cells = gap[: rows * cell, : columns * cell].reshape(rows, cell, columns, cell).mean(axis=(1, 3))
    where = np.unravel_index(int(np.argmax(cells)), cells.shape)
    return float(cells.max()), [int(where[0]), int(where[1])]


def picture_metrics(outputs, targets) -> dict:
    """L1, PSNR, SSIM (means over the pictures), the Fréchet distance of outputs to targets, sharpness, the
    grid share and the fixed pattern; pictures in [0, 1]."""
    import tensorflow as tf

    outputs, targets = np.asarray(outputs, np.float32), np.asarray(targets, np.float32)
    pattern, cell = fixed_pattern(outputs, targets)
    return {
        "l1": float(np.mean(np.abs(outputs - targets))),
        "psnr": float(tf.reduce_mean(tf.image.psnr(outputs, targets, max_val=1.0))),
        "ssim": float(tf.reduce_mean(tf.image.ssim(outputs, targets, max_val=1.0))),
        "frechet": frechet_distance(projection_features(outputs), projection_features(targets)),
        "sharpness": sharpness_ratio(outputs, targets),
        "grid_share": grid_share(outputs, targets),
        "fixed_pattern": pattern,
        "fixed_pattern_cell": cell,
    }


def evaluate_pix2pix(run, baselines, data, seed=0, samples=6):
    """Score ``run`` and its baselines on the test split with every input kind (``judged_inputs``).

    ``baselines`` are other SavedRuns (e.g. the L1-only one); ``data`` the loaded PairData
    (``run.family.run_data(run)`` for the run's own). Returns {"summary", "metrics", "grid", "columns",
    "labels"}: metrics[model][kind] is ``picture_metrics``; grid is a uint8 picture of the first ``samples``
    test pairs.
    """
    size = int(run.manifest["config"]["data"]["image_size"][0])
    edges = run.manifest["config"]["data"].get("edges", "none")
    inputs, targets = {}, None
    for kind, raw in judged_inputs(data, edges, seed).items():
        inputs[kind], targets = test_pictures(raw, data.test.targets, size)
    models = {run.path.name: run, **{baseline.path.name: baseline for baseline in baselines}}
    outputs = {
        name: {kind: model.family.inference(model).translate(pictures) for kind, pictures in inputs.items()}
        for name, model in models.items()
    }
    mean = np.broadcast_to(mean_picture(data.train.targets, size), targets.shape)
    outputs["mean training picture"] = {kind: mean for kind in inputs}
    metrics = {name: {kind: picture_metrics(out[kind], targets) for kind in inputs} for name, out in outputs.items()}
    ours = metrics[run.path.name]
    summary = {
        "model": run.path.name,
        "test_pairs": int(len(targets)),
        "image_size": size,
        "edges": edges,
        **{
            f"{key}_{kind}": round(ours[kind][key], 4)
            for kind in inputs
            for key in ("l1", "psnr", "ssim", "frechet", "sharpness", "grid_share", "fixed_pattern")
        },
    }
    names = [run.path.name] + [baseline.path.name for baseline in baselines]
    labels = {kind: kind_label(kind, edges) for kind in inputs}
    columns, header = [], []
    for kind, label in labels.items():
        columns += [inputs[kind]] + [outputs[name][kind] for name in names]
        header += [label] + [f"{name} ({label})" for name in names]
    columns, header = columns + [targets], header + ["target"]
    grid = result_grid(columns, samples)
    return {"summary": summary, "metrics": metrics, "grid": grid, "columns": header, "labels": labels}


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
    return to_uint8(grid)


def markdown_table(metrics, labels) -> str:
    """One row per input kind and model: L1, PSNR, SSIM, Fréchet, sharpness, grid share, fixed pattern."""
    lines = [
        "| model | input | L1 ↓ | PSNR (dB) ↑ | SSIM ↑ | Fréchet (RP-64) ↓ | sharpness (real = 1) | grid share ↓ "
        "| fixed pattern ↓ |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, label in labels.items():
        for name, by_kind in metrics.items():
            m = by_kind[kind]
            lines.append(
                f"| {name} | {label} | {m['l1']:.4f} | {m['psnr']:.2f} | {m['ssim']:.4f} | {m['frechet']:.2f} "
                f"| {m['sharpness']:.2f} | {m['grid_share']:.1%} | {m['fixed_pattern']:.3f} |"
            )
    return "\n".join(lines)


def write_report(result, folder) -> list[Path]:
    """evaluation.json, evaluation.md and evaluation.png in ``folder``; returns their paths."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "evaluation.json", folder / "evaluation.md", folder / "evaluation.png"]
    report = {key: result[key] for key in ("summary", "metrics", "labels")} | {"grid_columns": result["columns"]}
    with atomic_file(paths[0]) as temporary:
        Path(temporary).write_text(json.dumps(report, indent=2) + "\n")
    text = (
        f"# Evaluation of {result['summary']['model']}\n\n"
        f"{result['summary']['test_pairs']} test pairs at {result['summary']['image_size']}². "
        "L1 in [0, 1] units; Fréchet distance on 64 random projections of 32×32 pooled pictures "
        "(not FID; see cvae_tf/families/pix2pix/evaluate.py).\n\n"
        f"{markdown_table(result['metrics'], result['labels'])}\n\n"
        f"evaluation.png columns: {' | '.join(result['columns'])}\n"
    )
    with atomic_file(paths[1]) as temporary:
        Path(temporary).write_text(text)
    with atomic_file(paths[2]) as temporary:
        Image.fromarray(result["grid"]).save(temporary, format="PNG")
    return paths
