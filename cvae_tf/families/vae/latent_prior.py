"""Fit the prior to the codes: re-base a trained VAE's latent space so that N(0, I) draws what the encoder gives.

The KL term keeps each image's posterior near N(0, I), not the codes as a whole. After training,
the training images' codes (the aggregate posterior) spread wider than the prior along a few
directions and narrower along others, so prior samples miss the codes' outskirts and decode to
images more alike than the data. Re-basing folds the codes' mean ``m`` and covariance ``S = R R``
(``R`` its symmetric square root) into three Dense layers: the decoder reads ``z = m + R z'``, the
encoder gives ``z' = R⁻¹ (z − m)``. N(0, I) in the new coordinates is then the codes' Gaussian in
the old, every reconstruction is unchanged, and nothing downstream (generation, serving, export,
the browser page) needs to know.
"""

import keras
import numpy as np


def codes_gaussian(z_mean, z_log_var) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the aggregate posterior: the codes' spread plus each posterior's own."""
    z_mean = np.asarray(z_mean, np.float64)
    return z_mean.mean(0), np.cov(z_mean, rowvar=False) + np.diag(_posterior_variances(z_log_var))


def _posterior_variances(z_log_var) -> np.ndarray:
    """Each latent dimension's posterior variance, averaged over the codes."""
    return np.exp(np.asarray(z_log_var, np.float64)).mean(0)


def rebase_latent(encoder: keras.Model, decoder: keras.Model, z_mean, z_log_var, scale: float = 1.0) -> dict:
    """Fold the Gaussian of the codes ``z_mean`` / ``z_log_var`` (of the training images) into the weights,
    its standard deviations times ``scale`` (> 1: N(0, I) draws reach further into the codes' outskirts).

    Exact for ``z_mean`` and for the decoder. A posterior's variances in the new coordinates are a
    weighted sum of its old ones; ``z_log_var`` stays one Dense layer by taking that sum's logarithm
    to first order around the codes' mean variances. Returns the fitted Gaussian's summary.
    """
    if scale <= 0:
        raise ValueError(f"scale = {scale!r}; expected a number above 0")
    mean, covariance = codes_gaussian(z_mean, z_log_var)
    values, vectors = np.linalg.eigh(covariance)
    if values.min() < 1e-6:
        raise ValueError(
            f"the codes' covariance is singular (smallest eigenvalue {values.min():.3g}, expected ≥ 1e-6): "
            f"{len(z_mean)} codes do not span the {len(mean)} latent dimensions"
        )
    root = (vectors * (scale * np.sqrt(values))) @ vectors.T
    inverse = (vectors / (scale * np.sqrt(values))) @ vectors.T

    dense = encoder.get_layer("z_mean")
    kernel, bias = dense.get_weights()
    dense.set_weights([kernel @ inverse, (bias - mean) @ inverse])

    variances = _posterior_variances(z_log_var)
    shares = inverse**2 * variances  # [new j, old i]: how much old variance i adds to new variance j
    new_variances = shares.sum(1)
    weights = shares / new_variances[:, None]
    dense = encoder.get_layer("z_log_var")
    kernel, bias = dense.get_weights()
    shift = np.log(new_variances) - weights @ np.log(variances)
    dense.set_weights([kernel @ weights.T, bias @ weights.T + shift])

    dense = _latent_reader(decoder)
    kernel, bias = dense.get_weights()  # rows: z first, then the condition
    latent = len(mean)
    bias = bias + mean @ kernel[:latent]
    kernel[:latent] = root @ kernel[:latent]
    dense.set_weights([kernel, bias])
    largest, smallest = float(values.max()), float(values.min())
    return {"codes": len(z_mean), "variance_largest": largest, "variance_smallest": smallest, "scale": scale}


def _latent_reader(decoder: keras.Model) -> keras.layers.Dense:
    """The decoder's Dense layer that reads ``z`` (directly, or first in a concatenation with the condition)."""
    z = decoder.input["z"] if isinstance(decoder.input, dict) else decoder.input
    readers = [z] + [
        layer.output for layer in decoder.layers if isinstance(layer, keras.layers.Concatenate) and layer.input[0] is z
    ]
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.Dense) and any(layer.input is tensor for tensor in readers):
            return layer
    raise ValueError(f"{decoder.name}: no Dense layer reads its z input; cannot re-base the latent space")
