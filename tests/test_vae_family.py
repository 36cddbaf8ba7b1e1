"""The generic VAE family's own choices: batch size and epochs by the data's size, and judges by data format."""

from types import SimpleNamespace

import numpy as np
import pytest

from cvae_tf.core.config import RunConfig
from cvae_tf.core.data.split import Split
from cvae_tf.core.registry import get_family
from cvae_tf.families.vae.family import JUDGES, register_judge, size_defaults


def test_size_defaults_pick_batch_and_epochs_by_the_data_size():
    assert size_defaults(4050) == (32, 30)  # the offline sample: 127 steps per epoch
    assert size_defaults(54000) == (256, 10)  # full MNIST
    assert size_defaults(4050, batch_size=64, epochs=5) == (64, 5)  # what the config sets wins
    assert size_defaults(54000, full_batch=128) == (128, 10) and size_defaults(4050, full_batch=128) == (32, 30)


@pytest.mark.parametrize(("family", "batch"), [("conv_vae", 256), ("mnist_cvae", 128)])
def test_a_family_resolves_its_own_full_size_batch(family, batch):
    labels = np.arange(20_000) % 10
    images = np.zeros((20_000, 28, 28), np.uint8)
    for width in range(4):  # strokes of four widths: the white condition needs a spread
        images[labels % 4 == width, 10:18, 12 : 14 + width] = 255
    split = Split(images, labels)
    data = SimpleNamespace(train=split, val=Split(images[:100], labels[:100]))
    config = RunConfig.for_family(family)
    get_family(family).prepare(config, data)
    assert (config.training.batch_size, config.training.epochs) == (batch, 10)


def test_the_data_formats_owners_register_their_judges():
    assert {"mnist", "celeba", "face_folders"} <= set(JUDGES) and "images" not in JUDGES
    register_judge("toy_format", lambda run, data, options: ([], "{}"))
    try:
        assert JUDGES["toy_format"].evaluate(None, None, None) == ([], "{}")
        JUDGES["toy_format"].add_arguments(None)  # a judge without flags adds none
    finally:
        del JUDGES["toy_format"]
    with pytest.raises(KeyError):
        JUDGES["toy_format"]
