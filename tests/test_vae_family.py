"""The generic VAE family's own choices: batch size and epochs by the data's size, and judges by data format."""

import pytest

from cvae_tf.families.vae.family import JUDGES, register_judge, size_defaults


def test_size_defaults_pick_batch_and_epochs_by_the_data_size():
    assert size_defaults(4050) == (32, 30)  # the offline sample: 127 steps per epoch
    assert size_defaults(54000) == (256, 10)  # full MNIST
    assert size_defaults(4050, batch_size=64, epochs=5) == (64, 5)  # what the config sets wins


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
