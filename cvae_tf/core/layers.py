"""Every custom layer of the project, registered so that saved models reload with ``safe_mode=True``,
and the one upsampling step that the decoders and generators share.

The registered names (package ``cvae_tf``) are what saved ``.keras`` files refer to.
"""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="cvae_tf")
class Sampling(keras.layers.Layer):
    """Draws z = z_mean + exp(z_log_var / 2) · ε with ε ~ N(0, I).

    The reparameterisation trick: the randomness sits in ε, so gradients flow to z_mean and
    z_log_var. The seed generator's state is a variable: a SavedModel keeps it, a reloaded
    ``.keras`` file starts a fresh one from the same seed.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="cvae_tf")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring, so border pixels do not see an artificial black frame."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, inputs):
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = 2 * self.padding
        return (batch, None if height is None else height + grow, None if width is None else width + grow, channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="cvae_tf")
class InstanceNormalization(layers.Layer):
    """Normalises each image's channels over height and width, then applies a per-channel scale and offset.

    Statistics are computed in float32 even under mixed precision: variances of float16
    activations overflow or lose the small differences that matter.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.scale = self.add_weight(name="scale", shape=(channels,), initializer="ones")
        self.offset = self.add_weight(name="offset", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        x = x * ops.cast(self.scale, "float32") + ops.cast(self.offset, "float32")
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


UPSAMPLING = ("transpose", "resize")


def upsampling_conv(x, filters, mode="transpose", kernel=3, name=None, **conv_options):
    """Doubles height and width with learned filters. ``transpose``: a ``kernel``² transposed
    convolution, stride 2. ``resize``: nearest-neighbour resize, then a 3×3 convolution: for a 3×3
    kernel the same number of weights, and no checkerboard, since every output pixel sums the same
    number of kernel taps (a 3×3 transposed convolution at stride 2 sums four taps on one pixel in four,
    one on another)."""
    if mode == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest", name=name and f"{name}_resize")(x)
        return layers.Conv2D(filters, 3, padding="same", name=name, **conv_options)(x)
    if mode != "transpose":
        raise ValueError(f"upsampling must be one of {UPSAMPLING}, got {mode!r}")
    return layers.Conv2DTranspose(filters, kernel, strides=2, padding="same", name=name, **conv_options)(x)
