"""Convolutional VAE parts shared by the families: an encoder, a decoder, and the full model.

With ``condition_size`` set, both halves also take a ``condition`` vector (a C-VAE); without it
they see only the image and ``z`` (a vanilla VAE). Inputs and outputs are dicts with fixed
names, so training, saving, serving and the latent tools handle every family alike.
"""

import keras
from keras import layers

from cvae_tf.core.layers import Sampling, upsampling_conv


def build_encoder(
    image_shape=(28, 28, 1),
    latent_dim=40,
    filters=(16, 32),
    dense_units=256,
    condition_size=None,
    side_branch=True,
    name="encoder",
):
    """image [+ condition] → {z_mean, z_log_var, z}.

    Strided convolutions read the strokes; the optional side branch (a dense layer on the raw
    pixels) helped the original work by giving the encoder a direct view of the image.
    """
    inputs = {"image": keras.Input(tuple(image_shape), name="image")}
    if condition_size:
        inputs["condition"] = keras.Input((condition_size,), name="condition")
    x = inputs["image"]
    for width in filters:
        x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    features = [layers.Flatten()(x)]
    if condition_size:
        features.append(inputs["condition"])
    if side_branch:
        raw = layers.Flatten()(inputs["image"])
        features.append(layers.Dense(dense_units // 2, activation="relu", name="side_branch")(raw))
    joined = layers.Concatenate()(features) if len(features) > 1 else features[0]
    hidden = layers.Dense(dense_units, activation="relu")(joined)
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(inputs, {"z_mean": z_mean, "z_log_var": z_log_var, "z": z}, name=name)


def build_decoder(
    image_shape=(28, 28, 1),
    latent_dim=40,
    filters=(16, 32),
    dense_units=256,
    condition_size=None,
    condition_maps=False,
    condition_maps_largest=None,
    refine=False,
    upsampling="transpose",
    name="decoder",
):
    """z [+ condition] → image of ``image_shape`` in [0, 1] (sigmoid output).

    ``condition_maps`` adds the original face work's "direct connections": at every scale a dense
    map of the condition joins the feature maps, so the decoder cannot draw without it (with the
    condition only at the input, a wide latent carried the sex and the decoder ignored the condition).
    ``condition_maps_largest`` keeps them to the scales no wider than that many pixels (None: every
    scale), so that the fine detail is drawn from z alone.
    ``upsampling`` is ``transpose`` (3×3 transposed convolutions) or ``resize`` (nearest resize, then a
    3×3 convolution: the same weights, no checkerboard).
    """
    height, width, channels = image_shape
    scale = 2 ** len(filters)
    if height % scale or width % scale:
        raise ValueError(f"image size {height}x{width} must be divisible by 2^len(filters) = {scale}")
    inputs = {"z": keras.Input((latent_dim,), name="z")}
    if condition_size:
        inputs["condition"] = keras.Input((condition_size,), name="condition")
    x = layers.Concatenate()(list(inputs.values())) if condition_size else inputs["z"]
    x = layers.Dense(dense_units, activation="relu")(x)
    x = layers.Dense((height // scale) * (width // scale) * filters[-1], activation="relu")(x)
    x = layers.Reshape((height // scale, width // scale, filters[-1]))(x)

    def with_map(x):
        wanted = condition_maps and (condition_maps_largest is None or x.shape[2] <= condition_maps_largest)
        return _with_condition_map(x, inputs, wanted)

    for width_ in reversed(filters):
        x = with_map(x)
        x = upsampling_conv(x, width_, upsampling, activation="relu")
        if refine:
            x = layers.Conv2D(width_, 3, padding="same", activation="relu")(x)
    x = with_map(x)
    image = layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="image")(x)
    return keras.Model(inputs, image, name=name)


def _with_condition_map(x, inputs, enabled):
    """``x`` with one more channel: a dense map of the condition at ``x``'s height and width."""
    if not enabled or "condition" not in inputs:
        return x
    height, width = x.shape[1], x.shape[2]
    condition_map = layers.Dense(height * width)(inputs["condition"])
    return layers.Concatenate()([x, layers.Reshape((height, width, 1))(condition_map)])


def build_full(encoder, decoder, name="model"):
    """image [+ condition] → reconstruction: the encoder's sample z decoded under the same condition."""
    inputs = {key: keras.Input(tensor.shape[1:], name=key) for key, tensor in encoder.input.items()}
    z = encoder(inputs)["z"]
    conditions = {key: tensor for key, tensor in inputs.items() if key != "image"}
    return keras.Model(inputs, decoder({"z": z, **conditions}), name=name)


def build_models(config, image_shape=(28, 28, 1), condition_size=None, prefix="vae") -> dict:
    """The three named models (``<prefix>_encoder_model`` …) of a ``ModelConfig``, by role."""
    options = dict(
        image_shape=tuple(image_shape),
        latent_dim=config.latent_dim,
        filters=tuple(config.filters),
        dense_units=config.dense_units,
        condition_size=condition_size,
    )
    encoder = build_encoder(side_branch=config.side_branch, name=f"{prefix}_encoder_model", **options)
    decoder = build_decoder(
        condition_maps=config.condition_maps,
        condition_maps_largest=config.condition_maps_largest,
        refine=config.refine,
        upsampling=config.upsampling,
        name=f"{prefix}_decoder_model",
        **options,
    )
    return {"encoder": encoder, "decoder": decoder, "full": build_full(encoder, decoder, name=f"{prefix}_model")}
