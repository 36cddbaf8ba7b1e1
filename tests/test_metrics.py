import numpy as np
import pytest

from cvae_tf.metrics import conditional_accuracy, diversity, frechet_distance, pixel_shares, white_adherence
from cvae_tf.models.classifier import build_classifier, feature_model


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


def test_classifier_shapes_and_features():
    classifier = build_classifier()
    assert classifier.name == "classify_nums"
    batch = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    probabilities = classifier(batch).numpy()
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(1), 1.0, rtol=1e-5)
    assert feature_model(classifier)(batch).shape == (3, 128)


def test_classifier_learns_the_bundled_sample():
    from cvae_tf.data import load_mnist
    from cvae_tf.models.classifier import train_classifier

    data = load_mnist("sample", seed=0)
    classifier = train_classifier(data, epochs=2, verbose=0)
    predicted = classifier.predict(data.test.images[..., None] / 255.0, verbose=0).argmax(1)
    assert conditional_accuracy(predicted, data.test.labels)["overall"] > 0.9
