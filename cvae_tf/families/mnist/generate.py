"""Drawing digits on demand with a trained decoder: given digits, white values and latents.

The arithmetic runs on the decoder's ``LatentGenerator`` (``cvae_tf.core.inference``), traced once
per decoder and reused by every call here.
"""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np

from cvae_tf.core.inference import LatentGenerator, sample_latents
from cvae_tf.core.plots import image_grid, save_figure
from cvae_tf.families.mnist.condition import condition_vectors
from cvae_tf.families.mnist.plots import digit_grid, thickness_figure

__all__ = ["decode", "generate", "per_class_request", "sample_latents", "sample_unconditional", "thickness_sweep"]

_GENERATORS = weakref.WeakKeyDictionary()


def generator_for(decoder) -> LatentGenerator:
    """The (cached) decode-only ``LatentGenerator`` of ``decoder``."""
    if decoder not in _GENERATORS:
        _GENERATORS[decoder] = LatentGenerator(None, decoder)
    return _GENERATORS[decoder]


def latent_dim_of(decoder) -> int:
    return int(decoder.input["z"].shape[-1])


def is_conditional(model) -> bool:
    return "condition" in model.input


def decode(decoder, z, conditions=None) -> np.ndarray:
    """Images for latents ``z`` (and condition vectors, for a C-VAE): (N, H, W) for greyscale, else (N, H, W, C)."""
    return generator_for(decoder).decode(z, conditions)


def generate(decoder, digits, white=0.0, z=None, seed: int | None = 0) -> np.ndarray:
    """Images (N, 28, 28) float32 in [0, 1] for ``digits`` at ``white`` (scalar or per image).

    ``z`` (N, latent_dim) fixes the style; by default it is drawn from the prior with ``seed``.
    """
    conditions = condition_vectors(digits, white)
    z = generator_for(decoder).latents(len(conditions), seed, z)
    return decode(decoder, z, conditions)


def sample_unconditional(decoder, count: int, seed: int | None = 0) -> np.ndarray:
    """``count`` images of an unconditional (vanilla VAE) decoder from prior latents."""
    return decode(decoder, sample_latents(count, latent_dim_of(decoder), seed))


def per_class_request(per_class: int, white=0.0):
    """Digits 0-9, each ``per_class`` times in a row, and the matching white values."""
    digits = np.repeat(np.arange(10), per_class)
    return digits, np.broadcast_to(np.asarray(white, np.float32), digits.shape).copy()


def thickness_sweep(decoder, digit: int, steps: int = 9, samples: int = 1, seed: int = 0):
    """Images (samples, steps, 28, 28) of one digit over c = −1 … 1, the latent fixed along each row."""
    whites = np.linspace(-1.0, 1.0, steps, dtype=np.float32)
    z = np.repeat(sample_latents(samples, latent_dim_of(decoder), seed), steps, axis=0)
    images = generate(decoder, np.full(samples * steps, digit), np.tile(whites, samples), z=z)
    return images.reshape(samples, steps, *images.shape[1:]), whites


def write_test_output(run, path="test_output.png", per_class=8, white=0.0, seed=0) -> list[Path]:
    """``test_output.png`` (one labelled row per digit) and ``<name>_thickness.png`` beside it.

    For an unconditional model, one grid of prior samples.
    """
    path = Path(path)
    if not is_conditional(run.decoder):
        images = sample_unconditional(run.decoder, per_class * 10, seed)
        grid = images.reshape(10, per_class, *images.shape[1:])
        return [save_figure(image_grid(grid, title="samples from the prior"), path)]
    digits, whites = per_class_request(per_class, white)
    images = generate(run.decoder, digits, whites, seed=seed)
    grid = save_figure(digit_grid(images, digits, title=f"generated digits (white c = {white:+.1f})"), path)
    rows = [thickness_sweep(run.decoder, digit, steps=9, samples=1, seed=seed + digit)[0][0] for digit in range(10)]
    figure = thickness_figure(np.stack(rows), np.linspace(-1, 1, 9), digit=None, title="thin (c = −1) to bold (c = 1)")
    thickness = save_figure(figure, path.with_name(f"{path.stem}_thickness{path.suffix}"))
    return [grid, thickness]
