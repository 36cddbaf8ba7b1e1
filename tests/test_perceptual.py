"""The perceptual sharpness term: distances between the bundled VGG16 trunk's feature maps."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.ndimage import gaussian_filter

from cvae_tf.perceptual import PerceptualLoss


@pytest.fixture(scope="module")
def loss():
    return PerceptualLoss(blocks=2)


@pytest.fixture(scope="module")
def faces():
    """Four 32 × 32 colour pictures with edges: bright discs on a dark ground, and noise."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    discs = [(np.hypot(yy - 10 - 3 * k, xx - 14 - 2 * k) < 6 + k) for k in range(4)]
    images = np.stack([np.stack([d * 0.8, d * 0.5, 1 - d], -1) for d in discs]) * 0.9
    return (images + 0.05 * rng.random(images.shape)).astype(np.float32)


def test_it_is_zero_for_the_same_images_and_grows_with_the_blur(loss, faces):
    same = loss(faces, faces).numpy()
    assert same.shape == (4,) and np.allclose(same, 0.0, atol=1e-3)
    blurred = [np.stack([gaussian_filter(f, (s, s, 0)) for f in faces]) for s in (0.7, 1.5)]
    slight, strong = (loss(b, faces).numpy() for b in blurred)
    assert (slight > 1.0).all() and (strong > slight).all()


def test_it_is_a_frozen_trunk_that_passes_gradients_to_the_images(loss, faces):
    blurred = tf.Variable(np.stack([gaussian_filter(f, (1, 1, 0)) for f in faces]))
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(loss(blurred, faces))
    gradient = tape.gradient(value, blurred).numpy()
    assert np.isfinite(gradient).all() and np.abs(gradient).max() > 0
    assert loss.features.trainable_weights == [] and len(loss.features.outputs) == 2


def test_it_gives_the_same_values_inside_a_traced_step(faces):
    blurred = np.stack([gaussian_filter(f, (1, 1, 0)) for f in faces])
    fresh = PerceptualLoss(blocks=1)  # its first call is traced, as in a training step
    traced = tf.function(lambda a, b: fresh(a, b))(blurred, faces).numpy()
    np.testing.assert_allclose(traced, PerceptualLoss(blocks=1)(blurred, faces).numpy(), rtol=1e-4)


def test_it_takes_one_to_five_blocks():
    with pytest.raises(ValueError, match="blocks=6"):
        PerceptualLoss(blocks=6)
