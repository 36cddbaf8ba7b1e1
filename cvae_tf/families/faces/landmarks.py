"""How open a face's eyes are, measured from facial landmarks: the eyes target on CelebA.

CelebA's one eye attribute, ``Narrow_Eyes``, is set on about 1 face in 9, and a model trained on it
learned nothing (its MSE was 0.95 of the mean predictor's). The eyes' opening is measured instead,
from the 68-point landmarks of dlib's shape predictor (weights bundled by the PyPI package
``face_recognition_models``, so it runs offline): the gap between the lids (the mean of the four
lid-to-lid distances) over the nose's length (landmark 27, between the eyes, to 33, under the nose).

The eye aspect ratio (the gap over the eye's width; Soukupová & Čech, 2016) was the first
measure. A turned head narrows an eye but not its opening, so the ratio read turned heads as wide
eyes: it correlated with the head's turn at r 0.23 on CelebA, and its most "open" faces were all
in three-quarter view. The nose's length does not shorten when the head turns (r 0.00 with the
turn, −0.05 with the tilt), and the two eyes' measures agree at r 0.91 where the aspect ratios
agreed at 0.71 (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# The lid gap over the nose's length mapped to 0 (closed) and 1 (wide open); on CelebA's faces its
# 1st and 99th percentiles are 0.072 and 0.235, its median 0.156.
GAP_CLOSED, GAP_OPEN = 0.06, 0.24
# Faces are measured at CelebA's full resolution at least (178 pixels wide): HOG finds no face
# much below 80 pixels across, and the faces of the 89×109 copy are about 50.
MIN_WIDTH = 178
LID_PAIRS = [(37, 41), (38, 40), (43, 47), (44, 46)]  # upper and lower lid points of both eyes
NOSE = (27, 33)


def face_landmarks(files: list[Path]) -> np.ndarray:
    """(N, 68, 2) float32 landmarks (x, y in pixels of the measured image) of the largest face in
    each image; NaN where dlib finds no face."""
    detector, predictor = _dlib_models()
    points = np.full((len(files), 68, 2), np.nan, np.float32)
    for index, file in enumerate(files):
        image = _rgb_at_least(file, MIN_WIDTH)
        faces = detector(image, 0)
        if len(faces):
            shape = predictor(image, max(faces, key=lambda face: face.area()))
            points[index] = [(shape.part(i).x, shape.part(i).y) for i in range(68)]
    return points


def lid_gaps(points: np.ndarray) -> np.ndarray:
    """(N, 2) gap between the lids of each eye (left, right) over the nose's length."""
    points = np.asarray(points, np.float64)
    gaps = np.stack([distance(points, *pair) for pair in LID_PAIRS], axis=1).reshape(-1, 2, 2).mean(axis=2)
    return (gaps / distance(points, *NOSE)[:, None]).astype(np.float32)


def distance(points: np.ndarray, a: int, b: int) -> np.ndarray:
    """(N,) distance between landmarks ``a`` and ``b`` of each face."""
    return np.linalg.norm(points[:, a] - points[:, b], axis=-1)


def eye_openness(points: np.ndarray) -> np.ndarray:
    """The eyes target: both eyes' mean lid gap mapped linearly from [GAP_CLOSED, GAP_OPEN] to
    [0, 1] and clipped; NaN (no face) stays NaN."""
    mean = lid_gaps(points).mean(axis=1)
    return np.clip((mean - GAP_CLOSED) / (GAP_OPEN - GAP_CLOSED), 0.0, 1.0)


def _rgb_at_least(file: Path, width: int) -> np.ndarray:
    with Image.open(file) as image:
        image = image.convert("RGB")
        if image.width < width:
            height = round(image.height * width / image.width)
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        return np.asarray(image)


def import_dlib(needed_by: str, otherwise: str = ""):
    """dlib and the package of its weights (the ``faces`` extra), or an error naming the install line."""
    try:
        import dlib
        import face_recognition_models
    except ImportError as err:
        raise ImportError(
            f"{needed_by} needs dlib and its weights ({err}); "
            f"pip install 'cvae_tf[faces]' (dlib-bin, face_recognition_models){otherwise}"
        ) from None
    return dlib, face_recognition_models


def _dlib_models():
    dlib, weights = import_dlib("the eyes target from landmarks", ", or set data.eyes=narrow_eyes")
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(weights.pose_predictor_model_location())
