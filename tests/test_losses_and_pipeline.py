import numpy as np

from cvae_tf.core.data import make_dataset
from cvae_tf.core.losses import bce_sum, grey_loss, kl_divergence, mse_sum


def test_mse_is_summed_over_pixels_per_image():
    target = np.zeros((2, 28, 28, 1), np.float32)
    output = np.full((2, 28, 28, 1), 0.5, np.float32)
    output[1] = 0.0
    np.testing.assert_allclose(mse_sum(target, output), [784 * 0.25, 0.0])


def test_bce_is_summed_over_pixels_per_image():
    target = np.zeros((2, 28, 28, 1), np.float32)
    target[:, :14] = 1.0  # the top half white
    output = np.full((2, 28, 28, 1), 0.5, np.float32)
    output[1, :14], output[1, 14:] = 0.9, 0.2
    expected_second = 392 * -np.log(0.9) + 392 * -np.log(0.8)
    np.testing.assert_allclose(bce_sum(target, output), [784 * np.log(2.0), expected_second], rtol=1e-4)


def test_kl_is_zero_at_the_prior_and_known_elsewhere():
    z_mean = np.array([[0.0, 0.0], [1.0, 0.0]], np.float32)
    z_log_var = np.array([[0.0, 0.0], [0.0, np.log(2.0)]], np.float32)
    expected_second = 0.5 * 1.0 + 0.5 * (2.0 - 1.0 - np.log(2.0))
    np.testing.assert_allclose(kl_divergence(z_mean, z_log_var), [0.0, expected_second], rtol=1e-6)


def test_grey_loss_is_zero_for_black_and_white_and_largest_for_grey():
    images = np.stack([np.zeros((28, 28, 1)), np.ones((28, 28, 1)), np.full((28, 28, 1), 0.5)]).astype(np.float32)
    np.testing.assert_allclose(grey_loss(images), [0.0, 0.0, 784 * 0.25])


def test_pipeline_batches_scaled_images_and_conditions(digits):
    images, labels = digits
    conditions = np.eye(11, dtype=np.float32)[labels]
    batches = list(make_dataset(images, conditions, batch_size=16))
    assert [b["image"].shape[0] for b in batches] == [16, 16, 8]
    first = batches[0]
    assert first["image"].shape[1:] == (28, 28, 1) and first["image"].dtype.name == "float32"
    np.testing.assert_allclose(first["image"].numpy()[..., 0], images[:16] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(first["condition"].numpy(), conditions[:16])
    assert set(next(iter(make_dataset(images, batch_size=4)))) == {"image"}


def test_shuffle_is_seeded_and_keeps_pairs(digits):
    images, labels = digits
    conditions = np.eye(11, dtype=np.float32)[labels]

    def order(seed):
        batch = next(iter(make_dataset(images, conditions, batch_size=40, shuffle=True, seed=seed)))
        return batch["condition"].numpy().argmax(1), batch["image"].numpy()

    (labels_a, images_a), (labels_b, _), (labels_c, _) = order(1), order(1), order(2)
    np.testing.assert_array_equal(labels_a, labels_b)
    assert not np.array_equal(labels_a, labels_c)
    assert sorted(labels_a) == sorted(labels)
    for label, image in zip(labels_a, images_a):  # images still travel with their own condition
        assert any(np.allclose(image[..., 0], candidate / 255.0) for candidate in images[labels == label])
