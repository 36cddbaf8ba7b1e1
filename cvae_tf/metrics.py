"""Quality metrics for generated digits; each takes arrays and returns plain numbers.

Images are float arrays (N, 28, 28) in [0, 1]; labels are the digits asked for.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.metrics import pairwise_distances

from cvae_tf.conditions import white_ratio


def conditional_accuracy(predicted: np.ndarray, labels: np.ndarray) -> dict:
    """Share of images read as the digit they were asked for, overall and per digit."""
    hits = np.asarray(predicted) == np.asarray(labels)
    return {"overall": float(hits.mean()), "per_digit": [float(hits[labels == d].mean()) for d in range(10)]}


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    ReLU features have dead units and fewer samples than dimensions make covariances singular,
    so ``eps`` is added to their diagonals (as pytorch-fid does) before the matrix square root.
    Compare distances only between sets of equal size: the estimate is biased upward for small ones.
    """
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mean_a, mean_b = features_a.mean(0), features_b.mean(0)
    offset = eps * np.eye(features_a.shape[1])
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False)) + offset
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False)) + offset
    root = linalg.sqrtm(cov_a @ cov_b)
    trace = np.trace(cov_a + cov_b - 2.0 * np.real(root))
    return float(np.sum((mean_a - mean_b) ** 2) + max(trace, 0.0))


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


def pixel_shares(images: np.ndarray) -> dict:
    """Share of grey pixels (0.1 < v < 0.9) and of black pixels (v ≤ 0.1)."""
    images = np.asarray(images)
    return {"grey": float(np.mean((images > 0.1) & (images < 0.9))), "black": float(np.mean(images <= 0.1))}


def diversity(images: np.ndarray, labels: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between images of the same digit, averaged over digits."""
    flat = np.asarray(images).reshape(len(images), -1)
    means = []
    for digit in np.unique(labels):
        group = flat[labels == digit]
        if len(group) > 1:
            distances = pairwise_distances(group)
            means.append(distances.sum() / (len(group) * (len(group) - 1)))
    return float(np.mean(means))
