"""The digit figures: rows per digit, the thickness sweep, the white ratio per digit, the evaluation report."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from cvae_tf.core.plots import image_grid


def digit_grid(images, labels, title=None, per_row=12):
    """One row per digit 0-9, labelled, with (up to ``per_row`` of) that digit's images side by side."""
    labels = np.asarray(labels)
    per_row = min([per_row] + [int(np.sum(labels == d)) for d in range(10)])
    rows = np.stack([np.asarray(images)[labels == d][:per_row] for d in range(10)])
    return image_grid(rows, row_labels=range(10), title=title)


def thickness_figure(images, whites, digit, title=None):
    """Rows of one digit drawn from thin (c = −1) to bold (c = 1)."""
    return image_grid(
        images,
        col_labels=[f"c={w:+.2f}" for w in whites],
        title=title or f"digit {digit}: white ratio condition from thin to bold",
    )


def white_ratio_histograms(ratios, labels, bins=40):
    """The white ratio's distribution per digit: why it is normalised per digit."""
    fig, axes = plt.subplots(2, 5, figsize=(15, 5), sharex=True)
    for digit, ax in enumerate(axes.flat):
        values = np.asarray(ratios)[np.asarray(labels) == digit]
        ax.hist(values, bins=bins, color="tab:blue")
        ax.set_title(f"{digit}: μ={values.mean():.3f} σ={values.std():.3f}")
    fig.supxlabel("white ratio r (mean pixel / 255)")
    fig.tight_layout()
    return fig


def evaluation_figure(result: dict, generated, real):
    """The report's figure: generated digits beside real ones (rows 0-9), then per-digit bars."""
    fig = plt.figure(figsize=(14, 10))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.2, 1])
    for subfig, images, title in zip(top.subfigures(1, 2), (generated, real), ("generated", "real test digits")):
        axes = subfig.subplots(*np.asarray(images).shape[:2], squeeze=False)
        for ax, image in zip(axes.flat, np.asarray(images).reshape(-1, *np.asarray(images).shape[2:])):
            ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
            ax.axis("off")
        subfig.suptitle(title)
    frechet = result["frechet"]
    bars = [("Fréchet distance to real", frechet["per_digit_generated_vs_real"], frechet["per_digit_real_vs_real"])]
    if "conditional_accuracy" in result:
        bars.insert(0, ("conditional accuracy", result["conditional_accuracy"]["per_digit"], None))
    axes = np.atleast_1d(bottom.subplots(1, len(bars)))
    digits = np.arange(10)
    for ax, (title, values, yardstick) in zip(axes, bars):
        values = [np.nan if value is None else value for value in values]  # None: too few images of a digit
        ax.bar(
            digits - 0.2 * (yardstick is not None),
            values,
            width=0.4 if yardstick is not None else 0.8,
            label="generated",
        )
        if yardstick is not None:
            yardstick = [np.nan if value is None else value for value in yardstick]
            ax.bar(digits + 0.2, yardstick, width=0.4, label="real vs real")
            ax.legend()
        else:
            ax.set_ylim(min([0.9] + [value for value in values if np.isfinite(value)]), 1.0)
        ax.set_xticks(digits)
        ax.set_title(title)
        ax.set_xlabel("digit")
    return fig
