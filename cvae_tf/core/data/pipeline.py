"""tf.data input pipelines: uint8 images in memory → shuffled, batched float batches."""

import numpy as np
import tensorflow as tf


def make_dataset(images, conditions=None, batch_size=256, shuffle=False, seed=0, labels=None) -> tf.data.Dataset:
    """Batches of ``{"image": float32 (B, H, W, C) in [0, 1], "condition": (B, K)}``.

    Images stay uint8 until a batch is formed (a quarter of the memory of float32), then are
    scaled in one vectorised step. ``conditions=None`` gives image-only batches (vanilla VAE);
    ``labels`` makes each element a ``(features, label)`` pair for supervised models.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    features = {"image": images}
    if conditions is not None:
        features["condition"] = np.asarray(conditions, dtype=np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(features if labels is None else (features, np.asarray(labels)))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(_to_float, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _to_float(batch, *label):
    image = batch["image"]
    scale = 255.0 if image.dtype == tf.uint8 else 1.0
    features = {**batch, "image": tf.cast(image, tf.float32) / scale}
    return (features, *label) if label else features
