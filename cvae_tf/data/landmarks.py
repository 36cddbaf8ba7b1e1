"""How open a face's eyes are, measured from facial landmarks: the eyes target on CelebA.

CelebA's one eye attribute, ``Narrow_Eyes``, is set on about 1 face in 9, and a model trained on it
learned nothing (its MSE was 0.95 of the mean predictor's). The eye aspect ratio (EAR; Soukupová
& Čech, 2016) measures the opening instead: the two lid-to-lid distances of an eye over its width,
from the 68-point landmarks of dlib's shape predictor (weights bundled by the PyPI package
``face_recognition_models``, so it runs offline). On the 8,000 faces of ``../shared/data/celeba``
dlib found 97% of the faces; the ratio averaged 0.322 without ``Narrow_Eyes`` and 0.256 with it,
and the left and right eyes' ratios correlate at r = 0.71. The faces with the lowest ratios squint
or blink, those with the highest stare (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# The eye aspect ratios mapped to 0 (closed) and 1 (wide open); CelebA's faces span 0.13 to 0.55.
EAR_CLOSED, EAR_OPEN = 0.15, 0.45
# Faces are measured at CelebA's full resolution at least (178 pixels wide): HOG finds no face
# much below 80 pixels across, and the faces of the 89×109 copy are about 50.
MIN_WIDTH = 178
LEFT_EYE, RIGHT_EYE = range(36, 42), range(42, 48)


def eye_aspect_ratios(files: list[Path]) -> np.ndarray:
    """(N, 2) float32 eye aspect ratios (left, right) of the largest face in each image; NaN where
    dlib finds no face."""
    detector, predictor = _dlib_models()
    ratios = np.full((len(files), 2), np.nan, np.float32)
    for index, file in enumerate(files):
        image = _rgb_at_least(file, MIN_WIDTH)
        faces = detector(image, 0)
        if len(faces):
            shape = predictor(image, max(faces, key=lambda face: face.area()))
            points = np.array([(shape.part(i).x, shape.part(i).y) for i in range(68)], np.float64)
            ratios[index] = [_aspect_ratio(points[list(eye)]) for eye in (LEFT_EYE, RIGHT_EYE)]
    return ratios


def eye_openness(ratios: np.ndarray) -> np.ndarray:
    """The eyes target: the mean of both eyes' aspect ratios mapped linearly from [EAR_CLOSED,
    EAR_OPEN] to [0, 1] and clipped; NaN stays NaN."""
    mean = np.asarray(ratios, np.float32).mean(axis=1)
    return np.clip((mean - EAR_CLOSED) / (EAR_OPEN - EAR_CLOSED), 0.0, 1.0)


def _aspect_ratio(eye: np.ndarray) -> float:
    """Points p1…p6 clockwise from the outer corner: (|p2 − p6| + |p3 − p5|) / (2 |p1 − p4|)."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(vertical / (2 * np.linalg.norm(eye[0] - eye[3])))


def _rgb_at_least(file: Path, width: int) -> np.ndarray:
    with Image.open(file) as image:
        image = image.convert("RGB")
        if image.width < width:
            height = round(image.height * width / image.width)
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        return np.asarray(image)


def _dlib_models():
    try:
        import dlib
        import face_recognition_models
    except ImportError as err:
        raise ImportError(
            f"the eyes target from landmarks needs dlib and its weights ({err}); "
            "pip install dlib-bin face_recognition_models, or set data.eyes=narrow_eyes"
        ) from None
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    return dlib.get_frontal_face_detector(), predictor
