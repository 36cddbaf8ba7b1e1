"""pix2pix networks: the original's parameter counts, shapes, save/reload at two input sizes, the U-Net and
the spectrally normalised discriminator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cvae_tf.core.layers import InstanceNormalization, ReflectionPadding2D
from cvae_tf.families.pix2pix.models import build_discriminator, build_generator, build_unet, input_multiple


@pytest.mark.parametrize("upsampling", ["transpose", "resize"])
def test_generator_has_the_spec_parameter_count(upsampling):
    assert build_generator(input_channels=1, base_filters=64, upsampling=upsampling).count_params() == 11_377_155


def test_discriminator_has_the_one_rule_parameter_count():
    # 2,765,633 in the original; one norm layer's scale/offset more here (see build_discriminator).
    assert build_discriminator().count_params() == 2_766_657


def test_shapes_and_ranges():
    generator = build_generator(base_filters=8, residual_blocks=1)
    discriminator = build_discriminator(base_filters=8)
    sketch = np.random.default_rng(0).random((2, 48, 64, 1)).astype("float32")
    image = np.asarray(generator({"sketch": sketch}))
    assert image.shape == (2, 48, 64, 3) and image.min() >= -1 and image.max() <= 1
    scores = discriminator({"image": image, "sketch": sketch})
    assert scores.shape == (2, 48 // 8 - 2, 64 // 8 - 2, 1)


def test_instance_norm_normalises_each_image_and_channel():
    x = np.random.default_rng(1).normal(3.0, 2.0, (2, 8, 8, 4)).astype("float32")
    y = np.asarray(InstanceNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1, atol=1e-3)


def test_reflection_padding_mirrors_the_border():
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    y = np.asarray(ReflectionPadding2D(1)(x))[0, ..., 0]
    np.testing.assert_array_equal(y[0], [4, 3, 4, 5, 4])
    assert ReflectionPadding2D(2).compute_output_shape((None, None, 5, 1)) == (None, None, 9, 1)


@pytest.fixture(scope="module")
def small_generator():
    return build_generator(base_filters=8, residual_blocks=1)


def sketches():
    rng = np.random.default_rng(2)
    return [rng.random((1, 32, 32, 1)).astype("float32"), rng.random((1, 48, 64, 1)).astype("float32")]


def test_keras_file_reloads_safely_with_equal_outputs(small_generator, tmp_path):
    path = tmp_path / "generator.keras"
    small_generator.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    for sketch in sketches():
        np.testing.assert_allclose(reloaded({"sketch": sketch}), small_generator({"sketch": sketch}), atol=1e-5)


def test_saved_model_serves_any_size_with_equal_outputs(small_generator, tmp_path):
    path = str(tmp_path / "saved")
    small_generator.export(path, format="tf_saved_model", verbose=False)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    spec = serve.structured_input_signature[1]["sketch"]
    assert spec.shape.as_list() == [None, None, None, 1]
    for sketch in sketches():
        (served,) = serve(sketch=tf.constant(sketch)).values()
        np.testing.assert_allclose(served, small_generator({"sketch": sketch}), atol=1e-5)


@pytest.mark.parametrize("upsampling", ["transpose", "resize"])
def test_unet_keeps_the_input_size_and_joins_each_encoder_layer_to_its_twin(upsampling):
    unet = build_unet(input_channels=1, base_filters=8, downs=5, upsampling=upsampling)
    sketch = np.random.default_rng(3).random((2, 64, 96, 1)).astype("float32")
    image = np.asarray(unet({"sketch": sketch}))
    assert image.shape == (2, 64, 96, 3) and image.min() >= -1 and image.max() <= 1
    assert len([layer for layer in unet.layers if layer.name.endswith("_skip")]) == 4
    assert len([layer for layer in unet.layers if isinstance(layer, keras.layers.Dropout)]) == 3
    assert input_multiple("unet", 5) == 32 and input_multiple("resnet") == 4


def test_unet_256_reaches_a_one_pixel_bottleneck():
    unet = build_unet(input_channels=3, base_filters=64, downs=8)
    encoder = keras.Model(unet.input, unet.get_layer("down8").output)
    assert encoder({"sketch": np.zeros((1, 256, 256, 3), "float32")}).shape == (1, 1, 1, 512)
    assert 54_000_000 < unet.count_params() < 55_000_000  # the paper's unet_256: 54.4 M


def test_spectral_norm_discriminator_has_no_instance_norm_and_reloads_safely(tmp_path):
    discriminator = build_discriminator(base_filters=8, spectral_norm=True)
    kinds = {type(layer) for layer in discriminator.layers}
    assert keras.layers.SpectralNormalization in kinds and InstanceNormalization not in kinds
    rng = np.random.default_rng(4)
    inputs = {"image": rng.uniform(-1, 1, (1, 32, 32, 3)).astype("float32"), "sketch": rng.random((1, 32, 32, 1))}
    discriminator(inputs, training=True)  # one power iteration: the kept estimate moves
    path = tmp_path / "discriminator.keras"
    discriminator.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(reloaded(inputs), discriminator(inputs), atol=1e-5)


def test_spectral_norm_holds_each_kernel_at_unit_largest_singular_value():
    discriminator = build_discriminator(base_filters=8, spectral_norm=True)
    inputs = {"image": np.zeros((1, 32, 32, 3), "float32"), "sketch": np.ones((1, 32, 32, 1), "float32")}
    for _ in range(30):  # power iterations converge over training steps
        discriminator(inputs, training=True)
    wrapper = discriminator.get_layer("c2_spectral")
    kernel = np.asarray(wrapper.layer.kernel).reshape(-1, wrapper.layer.kernel.shape[-1])
    assert np.linalg.svd(kernel, compute_uv=False)[0] == pytest.approx(1.0, rel=0.05)
