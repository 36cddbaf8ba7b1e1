import json

import numpy as np
import pytest

from cvae_tf.core.conditions import load_condition
from cvae_tf.core.errors import DataError
from cvae_tf.families.mnist.condition import WhiteRatioCondition, condition_vectors, white_ratio


def test_white_ratio_of_uint8_and_float_images():
    images = np.zeros((2, 28, 28), np.uint8)
    images[1, :14] = 255
    np.testing.assert_allclose(white_ratio(images), [0.0, 0.5])
    np.testing.assert_allclose(white_ratio(images / 255.0), [0.0, 0.5])


def test_fit_gives_per_digit_statistics_and_the_spec_formula(digits):
    images, labels = digits
    condition = WhiteRatioCondition.fit(images, labels)
    ratios = white_ratio(images)
    for d in range(10):
        assert condition.mean[d] == pytest.approx(ratios[labels == d].mean())
        assert condition.std[d] == pytest.approx(ratios[labels == d].std())
    c = condition.white_value(images, labels)
    expected = np.clip(0.5 * (ratios - condition.mean[labels]) / condition.std[labels], -1, 1)
    np.testing.assert_allclose(c, expected, rtol=1e-5)
    # a bold and a thin image of digit 3 land on the ends of the range
    extremes = np.stack([np.full((28, 28), 255, np.uint8), np.zeros((28, 28), np.uint8)])
    np.testing.assert_allclose(condition.white_value(extremes, [3, 3]), [1.0, -1.0])
    np.testing.assert_allclose(condition.expected_ratio([3], [0.0]), condition.mean[3])


def test_a_wider_spread_narrows_c_and_the_family_fits_it_from_the_config(digits):
    from types import SimpleNamespace

    from cvae_tf.core.config import RunConfig
    from cvae_tf.core.registry import get_family

    images, labels = digits
    plain, wide = WhiteRatioCondition.fit(images, labels), WhiteRatioCondition.fit(images, labels, spread=1.1)
    np.testing.assert_allclose(wide.std, 1.1 * plain.std)
    np.testing.assert_array_equal(wide.mean, plain.mean)
    c, narrower = plain.white_value(images, labels), wide.white_value(images, labels)
    inside = np.abs(c) < 1  # not clipped
    np.testing.assert_allclose(narrower[inside], c[inside] / 1.1, rtol=1e-5)
    config = RunConfig.for_family("mnist")
    assert config.model.white_spread == 1.0
    config.set("model.white_spread", 1.1)
    data = SimpleNamespace(train=SimpleNamespace(images=images, labels=labels))
    np.testing.assert_allclose(get_family("mnist").fit_condition(config, data).std, wide.std)
    with pytest.raises(ValueError, match=r"white spread = 0; expected a number above 0"):
        WhiteRatioCondition.fit(images, labels, spread=0)


def test_condition_vectors_and_round_trip(tmp_path, digits):
    images, labels = digits
    condition = WhiteRatioCondition.fit(images, labels)
    vectors = condition.encode(images, labels)
    assert vectors.shape == (40, 11) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[:, :10].argmax(1), labels)
    condition.save(tmp_path)
    assert json.loads((tmp_path / "conditions.json").read_text())["kind"] == "white_ratio"
    again = load_condition(tmp_path)
    assert isinstance(again, WhiteRatioCondition)
    np.testing.assert_array_equal(again.mean, condition.mean)
    np.testing.assert_array_equal(again.std, condition.std)
    np.testing.assert_array_equal(condition_vectors([7, 1], [-1.0, 0.5])[:, 10], [-1.0, 0.5])


def test_bad_labels_and_values_are_named(digits):
    images, labels = digits
    with pytest.raises(ValueError, match=r"digit labels \[10\] out of range"):
        condition_vectors([3, 10])
    with pytest.raises(ValueError, match=r"outside \[-1, 1\]"):
        condition_vectors([3], 1.5)
    with pytest.raises(DataError, match=r"no training images of digit\(s\) \[9\]"):
        WhiteRatioCondition.fit(images[labels != 9], labels[labels != 9])


def test_an_untagged_conditions_file_of_an_older_run_loads_as_the_white_ratio(tmp_path, digits):
    condition = WhiteRatioCondition.fit(*digits)
    (tmp_path / "conditions.json").write_text(json.dumps(condition.to_dict()))
    np.testing.assert_array_equal(load_condition(tmp_path).std, condition.std)


def test_named_values_make_vectors_and_out_of_range_values_are_named(digits):
    condition = WhiteRatioCondition.fit(*digits)
    vectors = condition.vectors(3, digit=[1, 2, 3], white=0.5)
    np.testing.assert_array_equal(vectors[:, :10].argmax(1), [1, 2, 3])
    np.testing.assert_allclose(vectors[:, 10], 0.5)
    np.testing.assert_allclose(condition.vectors(2, digit=4)[:, [4, 10]], [[1, 0], [1, 0]])  # white defaults to 0
    with pytest.raises(ValueError, match="needs 'digit'"):
        condition.vectors(1, white=0.5)
    with pytest.raises(ValueError, match=r"white = \[2.0\] out of range; expected -1 … 1"):
        condition.vectors(1, digit=1, white=2.0)
    with pytest.raises(ValueError, match=r"digit = \[2.5\] out of range; expected whole numbers 0 … 9"):
        condition.vectors(1, digit=2.5)
    with pytest.raises(ValueError, match=r"unknown condition field\(s\) \['hue'\]"):
        condition.vectors(1, hue=0.3)
