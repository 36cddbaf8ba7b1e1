"""The MNIST C-VAE: convolutional encoder and decoder, both conditioned on (digit, white ratio)."""

import keras
from keras import layers

from cvae_tf.conditions import CONDITION_SIZE
from cvae_tf.models.layers import Sampling

IMAGE_SHAPE = (28, 28, 1)


def build_encoder(latent_dim=40, filters=(32, 64), dense_units=256, side_branch=True, name="cvae_encoder_model"):
    """image (28, 28, 1) + condition (11) → {z_mean, z_log_var, z}.

    Two strided convolutions read the strokes; the optional side branch (a dense layer on the
    raw pixels) helped the original work by giving the encoder a direct view of the image.
    """
    image = keras.Input(IMAGE_SHAPE, name="image")
    condition = keras.Input((CONDITION_SIZE,), name="condition")
    x = image
    for width in filters:
        x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(x)
    features = [layers.Flatten()(x), condition]
    if side_branch:
        features.append(layers.Dense(dense_units // 2, activation="relu", name="side_branch")(layers.Flatten()(image)))
    hidden = layers.Dense(dense_units, activation="relu")(layers.Concatenate()(features))
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(
        {"image": image, "condition": condition}, {"z_mean": z_mean, "z_log_var": z_log_var, "z": z}, name=name
    )


def build_decoder(latent_dim=40, filters=(32, 64), dense_units=256, name="cvae_decoder_model"):
    """z + condition (11) → image (28, 28, 1) in [0, 1] (sigmoid output)."""
    z = keras.Input((latent_dim,), name="z")
    condition = keras.Input((CONDITION_SIZE,), name="condition")
    side = IMAGE_SHAPE[0] // 2 ** len(filters)
    x = layers.Concatenate()([z, condition])
    x = layers.Dense(dense_units, activation="relu")(x)
    x = layers.Dense(side * side * filters[-1], activation="relu")(x)
    x = layers.Reshape((side, side, filters[-1]))(x)
    for width in reversed(filters):
        x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu")(x)
    image = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="image")(x)
    return keras.Model({"z": z, "condition": condition}, image, name=name)


def build_full(encoder, decoder, name="cvae_model"):
    """image + condition → reconstruction: the encoder's sample z decoded under the same condition."""
    inputs = {key: keras.Input(tensor.shape[1:], name=key) for key, tensor in encoder.input.items()}
    z = encoder(inputs)["z"]
    conditions = {key: tensor for key, tensor in inputs.items() if key != "image"}
    return keras.Model(inputs, decoder({"z": z, **conditions}), name=name)


def build_models(config) -> dict:
    """The three named models of a ``ModelConfig``, by role."""
    options = dict(latent_dim=config.latent_dim, filters=tuple(config.filters), dense_units=config.dense_units)
    encoder = build_encoder(side_branch=config.side_branch, **options)
    decoder = build_decoder(**options)
    return {"encoder": encoder, "decoder": decoder, "full": build_full(encoder, decoder)}
