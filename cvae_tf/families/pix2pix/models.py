"""pix2pix (sketch → picture): CycleGAN's ResNet generator or the pix2pix U-Net, and the 70×70 PatchGAN.

Both are functional models with dict inputs, so they save as ``.keras`` (reloading with
``safe_mode=True``: the two custom layers are registered, there is no Lambda) and export as a
SavedModel whose serving signature takes ``sketch`` of any height and width.

Conventions: ``sketch`` is (H, W, 1) in [0, 1], dark strokes on white paper (see
``cvae_tf.families.pix2pix.pairs``); pictures are (H, W, 3) in [−1, 1]. H and W must be multiples of
``input_multiple(...)`` for the generator's output to have the input's size: 4 for the ResNet (two
stride-2 down- and up-samplings), 2^downs for the U-Net.
"""

import keras
from keras import layers

from cvae_tf.core.layers import InstanceNormalization, ReflectionPadding2D, upsampling_conv

INIT = keras.initializers.RandomNormal(stddev=0.02)  # the pix2pix / CycleGAN weight init


def _conv_norm_relu(x, filters, kernel, strides, name, reflect=0):
    """Conv (no bias: the norm's offset replaces it) → instance norm → ReLU."""
    if reflect:
        x = ReflectionPadding2D(reflect, name=f"{name}_pad")(x)
    padding = "valid" if reflect else "same"
    x = layers.Conv2D(filters, kernel, strides, padding=padding, use_bias=False, kernel_initializer=INIT, name=name)(x)
    x = InstanceNormalization(name=f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters, name):
    """R256: two reflection-padded 3×3 convs with instance norm, added to the input (no ReLU after the sum)."""
    y = _conv_norm_relu(x, filters, 3, 1, f"{name}_a", reflect=1)
    y = ReflectionPadding2D(1, name=f"{name}_b_pad")(y)
    y = layers.Conv2D(filters, 3, padding="valid", use_bias=False, kernel_initializer=INIT, name=f"{name}_b")(y)
    y = InstanceNormalization(name=f"{name}_b_norm")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def _upsample(x, filters, name, mode="transpose", kernel=3, relu=True):
    """u-k: doubles H and W (``upsampling_conv``: the originals' transposed conv, or resize then
    convolve) → instance norm → [ReLU]."""
    x = upsampling_conv(x, filters, mode, kernel, name=name, use_bias=False, kernel_initializer=INIT)
    x = InstanceNormalization(name=f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def build_generator(
    input_channels=1,
    base_filters=64,
    residual_blocks=9,
    upsampling="transpose",
    name="pix2pix_generator",
):
    """CycleGAN's ResNet generator: c7s1-64, d128, d256, 9×R256, u128, u64, c7s1-3 with tanh.

    Every conv that is followed by instance norm has no bias; the last conv keeps its bias.
    For one input channel and 64 base filters that gives 11,377,155 parameters, the original's count,
    with either ``upsampling`` ("transpose" or "resize", see ``_upsample``).
    """
    sketch = keras.Input((None, None, input_channels), name="sketch")
    f = base_filters
    x = _conv_norm_relu(sketch, f, 7, 1, "c7s1", reflect=3)
    x = _conv_norm_relu(x, 2 * f, 3, 2, "d1")
    x = _conv_norm_relu(x, 4 * f, 3, 2, "d2")
    for index in range(residual_blocks):
        x = _residual_block(x, 4 * f, f"res{index + 1}")
    x = _upsample(x, 2 * f, "u1", upsampling)
    x = _upsample(x, f, "u2", upsampling)
    x = ReflectionPadding2D(3, name="out_pad")(x)
    x = layers.Conv2D(3, 7, padding="valid", kernel_initializer=INIT, name="out_conv")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model({"sketch": sketch}, image, name=name)


def build_unet(input_channels=1, base_filters=64, downs=8, upsampling="transpose", name="pix2pix_generator"):
    """The pix2pix paper's U-Net: ``downs`` 4×4 stride-2 convs (C64-C128-C256-C512-C512…), mirrored by
    as many upsamplings, each decoder layer joined with its encoder twin (skip connections).

    With ``downs = 8`` at 256² (``unet_256``, the paper's default) the bottleneck is 1×1. Encoder:
    LeakyReLU 0.2, instance norm except on the first and innermost layers; decoder: ReLU, instance
    norm, dropout 0.5 on the three innermost layers (training only). The paper's batch norm at batch
    size 1 normalises each picture over its own pixels, as instance norm does here, at test time too.
    ``upsampling``: "transpose" is the paper's 4×4 stride-2 transposed conv; "resize" is nearest
    neighbour, then a 3×3 conv (fewer weights, no checkerboard).
    """
    sketch = keras.Input((None, None, input_channels), name="sketch")
    widths = [min(base_filters * 2**index, 8 * base_filters) for index in range(downs)]
    x, skips = sketch, []
    for index, filters in enumerate(widths):
        bias = index in (0, downs - 1)  # the outermost and innermost have no norm to stand for a bias
        x = layers.Conv2D(filters, 4, 2, "same", use_bias=bias, kernel_initializer=INIT, name=f"down{index + 1}")(x)
        if not bias:
            x = InstanceNormalization(name=f"down{index + 1}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"down{index + 1}_lrelu")(x)
        skips.append(x)
    for index in reversed(range(downs - 1)):
        layer = f"up{index + 1}"
        x = _upsample(layers.ReLU(name=f"{layer}_in_relu")(x), widths[index], layer, upsampling, kernel=4, relu=False)
        if index >= downs - 4:
            x = layers.Dropout(0.5, name=f"{layer}_dropout")(x)
        x = layers.Concatenate(name=f"{layer}_skip")([x, skips[index]])
    x = layers.ReLU(name="out_relu")(x)
    if upsampling == "resize":
        x = layers.UpSampling2D(2, interpolation="nearest", name="out_resize")(x)
        x = layers.Conv2D(3, 3, padding="same", kernel_initializer=INIT, name="out_conv")(x)
    else:
        x = layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=INIT, name="out_conv")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model({"sketch": sketch}, image, name=name)


def input_multiple(generator="resnet", downs=0) -> int:
    """What an input's height and width must be a multiple of, so the output has the input's size."""
    return 2**downs if generator == "unet" else 4


def _patch_conv(x, filters, strides, name, norm, spectral=False):
    """C-k: 4×4 conv (padding 1, as the original) → [instance norm] → LeakyReLU 0.2.

    ``spectral``: the conv's weights are spectrally normalised (its largest singular value held at 1,
    which bounds how sharply the discriminator can change), and the instance norm is left out."""
    x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    norm = norm and not spectral
    conv = layers.Conv2D(filters, 4, strides, padding="valid", use_bias=not norm, kernel_initializer=INIT, name=name)
    x = (layers.SpectralNormalization(conv, name=f"{name}_spectral") if spectral else conv)(x)
    if norm:
        x = InstanceNormalization(name=f"{name}_norm")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def build_discriminator(
    image_channels=3, condition_channels=1, base_filters=64, spectral_norm=False, name="pix2pix_discriminator"
):
    """70×70 PatchGAN on [image, sketch]: C64-C128-C256-C512, then a 1-channel map of real/fake scores.

    Each output value judges one 70×70 patch (a 256×256 input gives 30×30 scores). The scores
    are raw (no sigmoid): LSGAN compares them with 1 and 0 directly.

    Parameters: 2,766,657 (not the original's 2,765,633). The project applies one rule to
    every layer of both networks: a conv followed by instance norm has no bias, every instance
    norm has a scale and an offset, the first (unnormalised) and last convs keep their bias.
    The original had 1,024 values fewer, the scale and offset of one 512-channel norm; matching
    it would need one norm layer special-cased for no measurable gain (0.04% of the weights),
    and the single rule keeps the generator's and discriminator's counts both derivable.

    The sketch in [0, 1] is mapped to [−1, 1] (parameter-free) so both inputs share a range.
    ``spectral_norm``: every conv spectrally normalised, no instance norms (see ``_patch_conv``).
    """
    image = keras.Input((None, None, image_channels), name="image")
    sketch = keras.Input((None, None, condition_channels), name="sketch")
    condition = layers.Rescaling(2.0, offset=-1.0, name="sketch_to_pm1")(sketch)
    x = layers.Concatenate(name="image_and_sketch")([image, condition])
    f = base_filters
    for index, (filters, strides) in enumerate(((f, 2), (2 * f, 2), (4 * f, 2), (8 * f, 1))):
        x = _patch_conv(x, filters, strides, f"c{index + 1}", norm=index > 0, spectral=spectral_norm)
    x = layers.ZeroPadding2D(1, name="out_pad")(x)
    out = layers.Conv2D(1, 4, padding="valid", kernel_initializer=INIT, name="out_conv")
    x = (layers.SpectralNormalization(out, name="out_conv_spectral") if spectral_norm else out)(x)
    scores = layers.Activation("linear", dtype="float32", name="scores")(x)
    return keras.Model({"image": image, "sketch": sketch}, scores, name=name)
