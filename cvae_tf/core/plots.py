"""Figures: digit grids, the thickness sweep, loss curves, white-ratio histograms."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cvae_tf.core.saving import atomic_file


def image_grid(images, row_labels=None, col_labels=None, title=None, cell=0.9):
    """A figure of images (rows, cols, H, W[, C]) with optional row and column labels."""
    images = np.asarray(images)
    rows, cols = images.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell + 0.6, rows * cell + 0.4), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[r, c], cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c == 0 and row_labels is not None:
                ax.set_ylabel(str(row_labels[r]), rotation=0, ha="right", va="center", fontsize=12)
            if r == 0 and col_labels is not None:
                ax.set_title(str(col_labels[c]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def loss_curves(log: pd.DataFrame, grey_from_epoch=None):
    """Training and validation curves per loss term, the grey-loss switch marked."""
    terms = [t for t in ("loss", "mse", "bce", "kl", "grey") if t in log]
    fig, axes = plt.subplots(1, len(terms), figsize=(4 * len(terms), 3.2))
    epochs = log["epoch"] + 1
    for ax, term in zip(np.atleast_1d(axes), terms):
        ax.plot(epochs, log[term], marker="o", label="train")
        if f"val_{term}" in log:
            ax.plot(epochs, log[f"val_{term}"], marker="o", label="validation")
        if grey_from_epoch is not None:
            ax.axvline(grey_from_epoch - 0.5, color="tab:red", linestyle="--", label="grey loss on")
        ax.set_title(term)
        ax.set_xlabel("epoch")
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    return fig


def save_figure(fig, path: str | Path, dpi=100) -> Path:
    """Save ``fig`` atomically (temporary file, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_file(path) as temporary:
            fig.savefig(temporary, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)  # also when saving failed: an open figure holds its memory until the process ends
    return path


def reconstruction_figure(originals, reconstructions, labels=None, per_row=10):
    """Originals above their reconstructions, ``per_row`` pairs a row."""
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    per_row = min(per_row, len(originals))
    count = len(originals) // per_row * per_row  # whole rows only
    rows, names = [], []
    for start in range(0, count, per_row):
        rows += [originals[start : start + per_row], reconstructions[start : start + per_row]]
        names += ["original", "decoded"]
    fig = image_grid(np.stack(rows), title="test images (odd rows) and their reconstructions from z_mean")
    for ax, name in zip(fig.axes[::per_row], names):
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if labels is not None:
        for ax, label in zip(fig.axes[:per_row], labels):
            ax.set_title(str(label), fontsize=9)
    return fig


def embedding_scatter(points, labels, class_names=None, title=None):
    """A 2-D embedding (t-SNE, PCA) coloured by label, one legend entry per class."""
    points, labels = np.asarray(points), np.asarray(labels)
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap("tab10" if labels.max(initial=0) < 10 else "tab20")
    for label in np.unique(labels):
        name = class_names[label] if class_names is not None else str(label)
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, color=cmap(label % cmap.N), label=name)
    ax.legend(markerscale=3, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def manifold_figure(images, values, title=None):
    """A (steps, steps) grid of decoded images as one picture, axes in latent units (z₁, z₂)."""
    images = np.asarray(images)
    mosaic = np.concatenate(np.concatenate(images, axis=1), axis=1)  # rows of images → one image
    size = min(12, 0.6 * len(values) + 1)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(mosaic, cmap="gray", vmin=0.0, vmax=1.0)
    side = images.shape[2]
    centres = side * np.arange(len(values)) + side / 2
    ticks = np.unique(np.linspace(0, len(values) - 1, 5).round().astype(int))
    ax.set_xticks(centres[ticks], [f"{values[i]:.2f}" for i in ticks])
    ax.set_yticks(centres[ticks], [f"{values[::-1][i]:.2f}" for i in ticks])
    ax.set_xlabel("z₁")
    ax.set_ylabel("z₂")
    if title:
        ax.set_title(title)
    return fig


def redraw_figure(sources, redrawn, row_labels=None):
    """Each source image, then the same image re-drawn as digits 0-9 (one row per source)."""
    sources, redrawn = np.asarray(sources), np.asarray(redrawn)
    grid = np.concatenate([sources[:, None], redrawn], axis=1)
    cols = ["input"] + [str(d) for d in range(redrawn.shape[1])]
    fig = image_grid(grid, row_labels=row_labels, col_labels=cols)
    fig.suptitle("same style, every digit", y=1 + 0.35 / fig.get_figheight())  # above the column labels
    return fig


def save_gif(frames, path: str | Path, frame_ms=120, scale=4, bounce=True) -> Path:
    """Images (N, H, W[, 3]) in [0, 1] as a looping animated GIF, enlarged ``scale`` times.

    ``bounce`` plays the frames forward then back, so the loop has no jump.
    """
    from PIL import Image

    frames = np.clip(np.asarray(frames) * 255 + 0.5, 0, 255).astype(np.uint8)
    if bounce and len(frames) > 2:
        frames = np.concatenate([frames, frames[-2:0:-1]])
    pictures = [
        Image.fromarray(frame).resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.Resampling.NEAREST)
        for frame in frames
    ]
    path = Path(path)
    with atomic_file(path) as temporary:
        pictures[0].save(temporary, format="GIF", save_all=True, append_images=pictures[1:], duration=frame_ms, loop=0)
    return path
