"""Digit metrics: how often a digit is read as the one asked for, and how its thickness follows c."""

from __future__ import annotations

import numpy as np

from cvae_tf.families.mnist.condition import white_ratio


def conditional_accuracy(predicted: np.ndarray, labels: np.ndarray) -> dict:
    """Share of images read as the digit they were asked for, overall and per digit."""
    hits = np.asarray(predicted) == np.asarray(labels)
    return {"overall": float(hits.mean()), "per_digit": [float(hits[labels == d].mean()) for d in range(10)]}


def white_adherence(images: np.ndarray, labels: np.ndarray, whites: np.ndarray) -> dict:
    """Per digit: correlation and slope of the measured white ratio on the requested c."""
    ratios = white_ratio(images)
    result = {}
    for digit in np.unique(labels):
        mask = labels == digit
        slope = np.polyfit(whites[mask], ratios[mask], 1)[0]
        result[int(digit)] = {
            "correlation": float(np.corrcoef(whites[mask], ratios[mask])[0, 1]),
            "slope": float(slope),
        }
    return result
