import keras
import numpy as np
import pytest

from cvae_tf.core.config import RunConfig
from cvae_tf.core.layers import Sampling, upsampling_conv
from cvae_tf.core.metrics import grid_peaks
from cvae_tf.core.registry import get_family


def build_models(family="mnist_cvae", image_shape=(28, 28, 1), **model):
    """The family's named models for its default config with ``model`` settings changed."""
    config = RunConfig.for_family(family)
    config.data.image_size, config.data.channels = list(image_shape[:2]), image_shape[2]
    for key, value in model.items():
        setattr(config.model, key, value)
    return get_family(family).build_models(config)


def test_named_models_with_named_inputs_and_outputs():
    models = build_models(latent_dim=12)
    encoder, decoder, full = models["encoder"], models["decoder"], models["full"]
    assert (encoder.name, decoder.name, full.name) == ("cvae_encoder_model", "cvae_decoder_model", "cvae_model")
    assert {k: tuple(v.shape) for k, v in encoder.input.items()} == {
        "image": (None, 28, 28, 1),
        "condition": (None, 11),
    }
    assert {k: tuple(v.shape) for k, v in encoder.output.items()} == {
        k: (None, 12) for k in ("z_mean", "z_log_var", "z")
    }
    assert {k: tuple(v.shape) for k, v in decoder.input.items()} == {"z": (None, 12), "condition": (None, 11)}
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 12)).astype("float32") * 10
    images = decoder({"z": z, "condition": np.eye(11, dtype="float32")[:5]}).numpy()
    assert images.shape == (5, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    batch = {"image": rng.random((3, 28, 28, 1)).astype("float32"), "condition": np.eye(11, dtype="float32")[:3]}
    assert full(batch).shape == (3, 28, 28, 1)


def test_side_branch_is_optional_and_no_lambda_layers():
    with_branch = build_models()["encoder"]
    without = build_models(side_branch=False)["encoder"]
    assert "side_branch" in [layer.name for layer in with_branch.layers]
    assert "side_branch" not in [layer.name for layer in without.layers]
    assert with_branch.count_params() > without.count_params()
    for model in build_models().values():
        assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)


@pytest.mark.parametrize("maps", [False, True])
def test_condition_maps_join_the_condition_to_every_decoder_scale(maps):
    decoder = build_models(condition_maps=maps, filters=[16, 32])["decoder"]
    map_sizes = sorted(
        layer.units for layer in decoder.layers if isinstance(layer, keras.layers.Dense) and layer.input.shape[-1] == 11
    )
    assert map_sizes == ([7 * 7, 14 * 14, 28 * 28] if maps else [])  # before each upsampling, and at full size
    concatenated = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Concatenate)]
    assert len(concatenated) == 1 + 3 * maps  # z with the condition, then one map per scale


def test_condition_maps_can_stop_at_a_scale():
    decoder = build_models(condition_maps=True, condition_maps_largest=14, filters=[16, 32])["decoder"]
    map_sizes = sorted(
        layer.units for layer in decoder.layers if isinstance(layer, keras.layers.Dense) and layer.input.shape[-1] == 11
    )
    assert map_sizes == [7 * 7, 14 * 14]  # none at 28 × 28


def _one_stage(mode):
    """One upsampling stage with an all-ones 3×3 kernel and no bias, from 8×8 to 16×16."""
    features = keras.Input((8, 8, 1))
    stage = keras.Model(features, upsampling_conv(features, 1, mode, name="up", use_bias=False))
    stage.get_layer("up").kernel.assign(np.ones(stage.get_layer("up").kernel.shape, np.float32))
    return stage


def test_resize_upsampling_draws_no_checkerboard_where_the_transposed_conv_does():
    """A constant input: a stride-2 transposed 3×3 conv sums 1, 2 or 4 taps per output pixel (the
    checkerboard, which ``grid_peaks`` reads as a period-2 spike), resize-then-conv the same 9 everywhere."""
    smooth = np.random.default_rng(0).random((16, 8, 8, 1)).astype("float32") * 0.1 + 1.0
    rows = {mode: np.asarray(_one_stage(mode)(smooth)) for mode in ("transpose", "resize")}
    assert len(np.unique(rows["transpose"][0, 4, 2:6, 0].round(4))) > 1
    np.testing.assert_allclose(rows["resize"][0, 4, 2:6, 0], 9 * smooth[0, 2, 1, 0], rtol=0.1)
    assert grid_peaks(rows["transpose"]).min() > 10 * grid_peaks(rows["resize"]).max()
    with pytest.raises(ValueError, match="upsampling must be one of"):
        upsampling_conv(keras.Input((8, 8, 1)), 1, "bilinear")


def test_resize_upsampling_keeps_the_decoder_weights_and_reloads(tmp_path):
    transpose = build_models("face_cvae", (64, 64, 3), upsampling="transpose")["decoder"]
    resize = build_models("face_cvae", (64, 64, 3))["decoder"]  # the face default
    assert resize.count_params() == transpose.count_params()
    assert not any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in resize.layers)
    assert sum(isinstance(layer, keras.layers.UpSampling2D) for layer in resize.layers) == 4
    inputs = {"z": np.ones((2, 64), "float32"), "condition": np.full((2, 4), 0.5, "float32")}
    resize.save(tmp_path / "decoder.keras")
    reloaded = keras.saving.load_model(tmp_path / "decoder.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded(inputs), resize(inputs), atol=1e-6)


def test_sampling_draws_around_the_mean_with_the_given_spread():
    layer = Sampling(seed=1)
    mean = np.full((20000, 2), 3.0, "float32")
    log_var = np.log(np.full((20000, 2), 4.0, "float32"))
    z = layer([mean, log_var]).numpy()
    np.testing.assert_allclose(z.mean(0), [3.0, 3.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [2.0, 2.0], atol=0.05)
    assert Sampling.from_config(layer.get_config()).seed == 1


def test_vanilla_vae_has_no_condition_and_takes_the_image_shape():
    models = build_models("conv_vae", (32, 32, 3), latent_dim=6)
    encoder, decoder, full = models["encoder"], models["decoder"], models["full"]
    assert (encoder.name, decoder.name, full.name) == ("vae_encoder_model", "vae_decoder_model", "vae_model")
    assert list(encoder.input) == ["image"] and list(decoder.input) == ["z"]
    assert decoder({"z": np.zeros((2, 6), "float32")}).shape == (2, 32, 32, 3)
    assert full({"image": np.zeros((2, 32, 32, 3), "float32")}).shape == (2, 32, 32, 3)


def test_unknown_family_and_indivisible_image_size_are_clear_errors():
    with pytest.raises(ValueError, match="model.family = 'gan'"):
        build_models("gan")
    with pytest.raises(ValueError, match="30x30 must be divisible by 2\\^len\\(filters\\) = 4"):
        build_models(image_shape=(30, 30, 1))
