"""Quality metrics for generated images; each takes arrays and returns plain numbers.

Images are float arrays (N, H, W[, C]) in [0, 1]; labels are the classes asked for.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, ndimage
from sklearn.metrics import pairwise_distances


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    ReLU features have dead units and fewer samples than dimensions make covariances singular,
    so ``eps`` is added to their diagonals (as pytorch-fid does) before the matrix square root; a
    constant set (a mean-picture baseline) is then finite too. Compare distances only between sets
    of equal size: the estimate is biased upward for small ones.
    """
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mean_a, mean_b = features_a.mean(0), features_b.mean(0)
    offset = eps * np.eye(features_a.shape[1])
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False)) + offset
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False)) + offset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
    trace = np.trace(cov_a + cov_b - 2.0 * np.real(root))
    return float(np.sum((mean_a - mean_b) ** 2) + max(trace, 0.0))


def pixel_shares(images: np.ndarray) -> dict:
    """Share of grey pixels (0.1 < v < 0.9) and of black pixels (v ≤ 0.1)."""
    images = np.asarray(images)
    return {"grey": float(np.mean((images > 0.1) & (images < 0.9))), "black": float(np.mean(images <= 0.1))}


def diversity(images: np.ndarray, labels: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between images of the same class, averaged over classes."""
    flat = np.asarray(images).reshape(len(images), -1)
    means = []
    for digit in np.unique(labels):
        group = flat[labels == digit]
        if len(group) > 1:
            distances = pairwise_distances(group)
            means.append(distances.sum() / (len(group) * (len(group) - 1)))
    return float(np.mean(means))


def spread(features) -> float:
    """The mean distance of feature vectors to their centroid: how varied a set is in that space."""
    features = np.asarray(features, np.float64)
    return float(np.mean(np.linalg.norm(features - features.mean(axis=0), axis=1)))


def laplacian_variance(pictures) -> np.ndarray:
    """Per picture (N, H, W, C) in [0, 1], the variance of the Laplacian of its grey version: high for
    sharp detail (and for noise or a grid), low for blur."""
    grey = np.asarray(pictures, np.float64).mean(axis=-1)
    return np.array([ndimage.laplace(picture).var() for picture in grey])


def sharpness_ratio(pictures, real) -> float:
    """The pictures' mean Laplacian variance over the real ones': 1 as sharp as real, near 0 for a blur."""
    return float(laplacian_variance(pictures).mean() / laplacian_variance(real).mean())


def grid_peaks(pictures) -> np.ndarray:
    """Per picture, the power of its grey version at the period-2 frequencies (the Nyquist row and
    column, where a stride-2 transposed convolution's checkerboard sits) over the power just inside
    them: about 1 or below for a smooth spectrum, far above it for a grid."""
    grey = np.asarray(pictures, np.float64)
    grey = grey.mean(axis=-1) if grey.ndim == 4 else grey
    power = np.abs(np.fft.fft2(grey - grey.mean(axis=(1, 2), keepdims=True))) ** 2
    half_height, half_width = power.shape[1] // 2, power.shape[2] // 2

    def lines(inset):  # the row and the column ``inset`` frequencies inside the Nyquist ones
        return np.concatenate([power[:, half_height - inset, :], power[:, :, half_width - inset]], axis=1).mean(axis=1)

    return lines(0) / lines(1)


def grid_share(pictures, real, quantile: float = 0.99) -> float:
    """The share of pictures whose ``grid_peaks`` exceed the real pictures' ``quantile`` (1 − quantile
    of the real ones do, by construction): how many show a grid that real pictures lack."""
    return float(np.mean(grid_peaks(pictures) > np.quantile(grid_peaks(real), quantile)))
