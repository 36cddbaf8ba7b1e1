"""``classify_nums``: a compact digit classifier, the judge of generated digits.

Its penultimate layer, ``features``, gives the embedding for Fréchet distances.
"""

import keras
from keras import layers


def build_classifier(name="classify_nums", augment=True) -> keras.Model:
    """image (28, 28, 1) in [0, 1] → probabilities over the 10 digits.

    Small random shifts, rotations and zooms (active only in training) keep it from learning
    the exact placement of MNIST digits, so it also reads generated digits fairly.
    """
    image = keras.Input((28, 28, 1), name="image")
    x = image
    if augment:
        x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
        x = layers.RandomRotation(0.03, fill_mode="constant")(x)
        x = layers.RandomZoom(0.1, fill_mode="constant")(x)
    for width in (32, 64):
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    features = layers.Dense(128, activation="relu", name="features")(x)
    probabilities = layers.Dense(10, activation="softmax", name="digit")(layers.Dropout(0.3)(features))
    return keras.Model({"image": image}, probabilities, name=name)  # a dict, like the tf.data batches


def feature_model(classifier: keras.Model) -> keras.Model:
    """The classifier up to its ``features`` layer."""
    return keras.Model(classifier.input, classifier.get_layer("features").output, name="classify_nums_features")
