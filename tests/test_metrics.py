import numpy as np
import pytest

from cvae_tf.core.metrics import diversity, frechet_distance, grid_peaks, grid_share, pixel_shares
from cvae_tf.families.mnist.classifier import build_classifier, feature_model
from cvae_tf.families.mnist.metrics import conditional_accuracy, white_adherence


def test_conditional_accuracy_overall_and_per_digit():
    labels = np.repeat(np.arange(10), 2)
    predicted = labels.copy()
    predicted[[0, 1, 2]] = 9  # both zeros and one of the ones misread
    result = conditional_accuracy(predicted, labels)
    assert result["overall"] == pytest.approx(17 / 20)
    assert result["per_digit"][:3] == [0.0, 0.5, 1.0]


def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    shifted = a + np.array([3.0, 0.0, 4.0])  # same covariance: the distance is |Δμ|² = 25
    assert frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-6)
    scaled = a * 2.0  # covariances I and 4I: trace(I + 4I − 2·2I) = 1 per dimension, 3 in all
    assert frechet_distance(a, scaled) == pytest.approx(3.0, rel=0.05)


def test_white_adherence_recovers_a_known_line():
    whites = np.tile(np.linspace(-1, 1, 9), 2)
    labels = np.repeat([3, 7], 9)
    ratios = np.where(labels == 3, 0.12 + 0.05 * whites, 0.10 - 0.02 * whites)
    images = np.broadcast_to(ratios[:, None, None], (18, 28, 28)).astype(np.float64)
    result = white_adherence(images, labels, whites)
    assert result[3]["correlation"] == pytest.approx(1.0) and result[3]["slope"] == pytest.approx(0.05)
    assert result[7]["correlation"] == pytest.approx(-1.0) and result[7]["slope"] == pytest.approx(-0.02)


def test_pixel_shares_and_diversity_known_answers():
    images = np.zeros((4, 28, 28))
    images[:, :7] = 0.5  # a quarter grey
    images[:, 7:14] = 1.0  # a quarter white
    assert pixel_shares(images) == {"grey": 0.25, "black": 0.5}
    labels = np.array([0, 0, 1, 1])
    assert diversity(images, labels) == 0.0  # identical images
    images[1] = 0.0
    distance = np.linalg.norm(images[0])
    assert diversity(images, labels) == pytest.approx(distance / 2)  # digit 0: d, digit 1: 0


def test_grid_peaks_read_a_faint_checkerboard_and_the_share_counts_the_pictures_that_carry_it():
    from scipy import ndimage

    smooth = ndimage.gaussian_filter(np.random.default_rng(0).random((40, 64, 64, 3)), (0, 1.5, 1.5, 0))
    checkerboard = (np.indices((64, 64)).sum(axis=0) % 2 * 0.02)[None, :, :, None]
    assert grid_peaks(smooth).max() < 1.2  # the spectrum falls smoothly to the Nyquist frequency
    assert grid_peaks(smooth + checkerboard).min() > 100  # 2% of the range, period 2
    assert grid_share(smooth[:20], smooth[20:]) < 0.1
    some_with_a_grid = smooth[:20] + checkerboard * (np.arange(20) < 5)[:, None, None, None]
    assert grid_share(some_with_a_grid, smooth[20:]) == pytest.approx(5 / 20, abs=0.1)


def test_classifier_shapes_and_features():
    classifier = build_classifier()
    assert classifier.name == "classify_nums"
    batch = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    probabilities = classifier({"image": batch}).numpy()
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, rtol=1e-5)
    assert feature_model(classifier)({"image": batch}).shape == (3, 128)


def test_classifier_learns_the_bundled_sample_and_reloads(sample_data, sample_classifier):
    from cvae_tf.core.saving import SavedRun
    from cvae_tf.families.mnist.evaluate import Judge

    folder, classifier = sample_classifier
    real = sample_data.test.images / 255.0
    predicted = Judge(classifier).predict(real)
    assert conditional_accuracy(predicted, sample_data.test.labels)["overall"] > 0.8  # two epochs on 4,050 digits
    saved = SavedRun.open(folder).manifest
    assert saved["family"] == "classify_nums" and saved["best_metrics"]["val_accuracy"] > 0.8


def test_real_digits_score_as_real_and_mean_images_and_noise_score_badly(sample_data, sample_classifier):
    from cvae_tf.families.mnist.evaluate import Judge, two_real_sets

    judge = Judge(sample_classifier[1])
    test = sample_data.test
    first, second = two_real_sets(test.labels, 25, np.random.default_rng(0))
    real_a, real_b = test.images[first] / 255.0, test.images[second] / 255.0
    labels = test.labels[second]
    means = np.stack([sample_data.train.images[sample_data.train.labels == d].mean(0) / 255.0 for d in labels])
    noise = np.random.default_rng(1).random(real_b.shape)
    f_a = judge.features(real_a)
    real_score = frechet_distance(judge.features(real_b), f_a)
    assert frechet_distance(judge.features(means), f_a) > 3 * real_score
    assert frechet_distance(judge.features(noise), f_a) > 10 * real_score
    assert conditional_accuracy(judge.predict(real_b), labels)["overall"] > 0.8
    assert conditional_accuracy(judge.predict(noise), labels)["overall"] < 0.3
    assert diversity(means, labels) == pytest.approx(0.0, abs=1e-5) and diversity(real_b, labels) > 1.0
    assert pixel_shares(noise)["grey"] > 5 * pixel_shares(real_b)["grey"]
