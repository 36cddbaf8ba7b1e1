"""A judge of another kind for face runs: dlib's pretrained face descriptor with a linear sex probe.

The four condition models learn from the same faces and pipeline as the C-VAE, so their verdicts can
flatter it. dlib's face recognition ResNet (weights bundled by the PyPI package
``face_recognition_models``) was trained on millions of other faces for identity, not for this
project: a logistic regression on its 128-d descriptors reads the sex, and the Fréchet distance in
that space compares generated faces with real ones.

HOG finds no face in a 64-pixel image, so nothing is detected: each image is upsampled and a fixed
rectangle where an aligned, centred face sits (``BOX``, the mean of HOG's boxes on upsampled CelebA
crops) is given to the 5-point shape predictor, which aligns the chip the descriptor is computed on.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.linear_model import LogisticRegression

from cvae_tf.core import metrics
from cvae_tf.core.errors import DataError
from cvae_tf.core.inference import as_model_input, to_uint8
from cvae_tf.core.saving import atomic_folder
from cvae_tf.families.faces.condition import sex_requests
from cvae_tf.families.faces.data import load_celeba
from cvae_tf.families.faces.landmarks import import_dlib

DESCRIPTOR_SIZE = 128
# (left, top, right, bottom) fractions of the frame: where HOG puts an aligned CelebA crop's face.
BOX = (0.17, 0.32, 0.81, 0.96)
SETTINGS = {"box": BOX, "upsample": 150, "padding": 0.25}
CHIP = 150  # the ResNet takes 150×150 chips only
JUDGE_FILE, PROBE_FILE = "descriptor_judge.json", "probe.npz"
PROBE_ARRAYS = ("coef", "mean", "scale")
FORMAT = 1
# The probe's inverse regularisation: the best 5-fold cross-validated accuracy on CelebA's 6400
# training faces at 64×64 (98.1%; C from 0.01 to 3 all scored 98.0 ± 0.1%).
PROBE_C = 0.03


@functools.cache
def _dlib_models():
    """dlib, its 5-point shape predictor and the face recognition ResNet, loaded once."""
    dlib, weights = import_dlib("the face descriptor judge")
    predictor = dlib.shape_predictor(weights.pose_predictor_five_point_model_location())
    recogniser = dlib.face_recognition_model_v1(weights.face_recognition_model_location())
    return dlib, predictor, recogniser


def as_uint8(images) -> np.ndarray:
    """(N, H, W, 3) uint8 from uint8 or floats in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images of shape {images.shape}; expected (N, H, W, 3) RGB")
    return images if images.dtype == np.uint8 else to_uint8(images)


def face_descriptors(images, box=BOX, upsample: int = 150, padding: float = 0.25) -> np.ndarray:
    """(N, 128) float32 dlib face descriptors of aligned face crops (uint8 or floats in [0, 1]).

    Each image is resized (bicubic) to ``upsample`` pixels wide, ``box`` (fractions of the frame)
    is where the 5-point predictor looks for the face, and the chip it aligns (``padding`` as
    dlib's ``get_face_chip``'s) is what the ResNet describes.
    """
    dlib, predictor, recogniser = _dlib_models()
    images = as_uint8(images)
    descriptors = np.zeros((len(images), DESCRIPTOR_SIZE), np.float32)
    if not len(images):
        return descriptors
    height = max(1, round(upsample * images.shape[1] / images.shape[2]))
    left, top, right, bottom = box
    rectangle = dlib.rectangle(
        round(left * upsample), round(top * height), round(right * upsample) - 1, round(bottom * height) - 1
    )
    for index, image in enumerate(images):
        large = np.asarray(Image.fromarray(image).resize((upsample, height), Image.Resampling.BICUBIC))
        chip = dlib.get_face_chip(large, predictor(large, rectangle), size=CHIP, padding=padding)
        descriptors[index] = recogniser.compute_face_descriptor(chip)
    return descriptors


def frechet(images_a, images_b, **settings) -> float:
    """The Fréchet distance between two face sets in descriptor space (``settings`` as ``face_descriptors``)."""
    return metrics.frechet_distance(face_descriptors(images_a, **settings), face_descriptors(images_b, **settings))


class DescriptorJudge:
    """A logistic-regression sex probe on standardised face descriptors, kept as plain arrays.

    scikit-learn fits it; predicting is the probe's formula in NumPy, so a saved judge (JSON and
    npz, no pickle) gives the same probabilities wherever it is loaded.
    """

    def __init__(self, coef, intercept, mean, scale, settings=None, holdout_accuracy=None, info=None):
        self.coef = np.asarray(coef, np.float64).reshape(DESCRIPTOR_SIZE)
        self.mean = np.asarray(mean, np.float64).reshape(DESCRIPTOR_SIZE)
        self.scale = np.asarray(scale, np.float64).reshape(DESCRIPTOR_SIZE)
        self.intercept = float(intercept)
        self.settings = {**SETTINGS, **(settings or {})}
        self.settings["box"] = tuple(float(v) for v in self.settings["box"])
        self.holdout_accuracy = None if holdout_accuracy is None else float(holdout_accuracy)
        self.info = dict(info or {})

    @classmethod
    def fit(cls, images, male, C: float = PROBE_C, test=None, **settings) -> DescriptorJudge:
        """A probe fitted on real faces and their ``Male`` labels (0/1); ``test`` (images, male) scores it."""
        settings = {**SETTINGS, **settings}
        descriptors = face_descriptors(images, **settings)
        judge = cls.fit_descriptors(descriptors, male, C=C, settings=settings)
        if test is not None:
            judge.holdout_accuracy = judge.accuracy(face_descriptors(test[0], **settings), test[1])
        return judge

    @classmethod
    def fit_descriptors(cls, descriptors, male, C: float = PROBE_C, settings=None) -> DescriptorJudge:
        """The probe on descriptors already computed with ``settings``."""
        descriptors, male = np.asarray(descriptors, np.float64), np.asarray(male).astype(int).ravel()
        if len(descriptors) != len(male) or len(np.unique(male)) != 2:
            raise ValueError(f"{len(descriptors)} faces and {len(male)} labels; expected as many, of both sexes")
        mean, scale = descriptors.mean(axis=0), descriptors.std(axis=0) + 1e-8
        probe = LogisticRegression(C=C, max_iter=2000).fit((descriptors - mean) / scale, male)
        info = {"C": C, "n_train": len(male), "train_accuracy": float(probe.score((descriptors - mean) / scale, male))}
        return cls(probe.coef_[0], probe.intercept_[0], mean, scale, settings, info=info)

    def male_of_descriptors(self, descriptors) -> np.ndarray:
        """(N,) P(male) of face descriptors."""
        logits = ((np.asarray(descriptors, np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def descriptors(self, images) -> np.ndarray:
        return face_descriptors(images, **self.settings)

    def p_male(self, images) -> np.ndarray:
        """(N,) P(male) of face images."""
        return self.male_of_descriptors(self.descriptors(images))

    def accuracy(self, descriptors, male) -> float:
        return float(np.mean((self.male_of_descriptors(descriptors) > 0.5) == (np.asarray(male).ravel() > 0.5)))

    def save(self, folder) -> Path:
        """``descriptor_judge.json`` (settings, intercept, scores) and ``probe.npz``, written whole or not at all."""
        folder = Path(folder)
        record = {
            "format": FORMAT,
            "kind": "dlib face descriptor + logistic sex probe",
            "settings": {**self.settings, "box": list(self.settings["box"])},
            "intercept": self.intercept,
            "holdout_accuracy": self.holdout_accuracy,
            "info": self.info,
        }
        with atomic_folder(folder) as temporary:
            (temporary / JUDGE_FILE).write_text(json.dumps(record, indent=2) + "\n")
            np.savez(temporary / PROBE_FILE, coef=self.coef, mean=self.mean, scale=self.scale)
        return folder

    @classmethod
    def load(cls, folder) -> DescriptorJudge:
        """A judge saved by ``save``; a missing or malformed folder is an error naming the file."""
        folder = Path(folder)
        expected = (
            f"a descriptor judge folder ({JUDGE_FILE} and {PROBE_FILE}, from benchmarks/face_descriptor_judge.py)"
        )
        for name in (JUDGE_FILE, PROBE_FILE):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder}: no {name}; expected {expected}")
        try:
            record = json.loads((folder / JUDGE_FILE).read_text())
            settings, intercept = record["settings"], float(record["intercept"])
            if record.get("format") != FORMAT or not isinstance(settings, dict):
                raise ValueError(f"format {record.get('format')!r}, expected {FORMAT}")
            if set(settings) != set(SETTINGS):
                raise ValueError(f"settings {sorted(settings)}, expected {sorted(SETTINGS)}")
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(
                f"{folder / JUDGE_FILE}: not a descriptor judge record ({err}); expected {expected}"
            ) from None
        try:
            with np.load(folder / PROBE_FILE, allow_pickle=False) as arrays:
                probe = {name: arrays[name] for name in PROBE_ARRAYS}
            return cls(
                probe["coef"],
                intercept,
                probe["mean"],
                probe["scale"],
                settings,
                record.get("holdout_accuracy"),
                record.get("info"),
            )
        except Exception as err:  # a truncated npz raises zipfile, OS, EOF or value errors
            raise DataError(
                f"{folder / PROBE_FILE}: unreadable ({type(err).__name__}: {err}); expected arrays "
                f"{', '.join(PROBE_ARRAYS)} of {DESCRIPTOR_SIZE} values, as {expected}"
            ) from None


def descriptor_verdict(
    run, judge: DescriptorJudge, n: int = 400, seed: int = 0, reference=None, requests: int = 8, per_request: int = 50
) -> dict:
    """The run's faces as the descriptor judge reads them.

    Sex (conditional runs), as ``evaluate.control`` draws it: extreme requests (male 0 and 1 in
    turn, the other fields random, the same z), the share obeyed, the flip test, mean P(male) of
    requested men and women. Within-request spread: ``requests`` fixed label sets, ``per_request``
    samples each; their spread in descriptor space over the spread of real faces of the requested
    sex (``reference``, a ``FaceSplit``). Quality: the Fréchet distance of prior samples to
    ``reference`` faces, beside real vs real (its two halves).
    """
    started = time.perf_counter()
    generator = run.family.inference(run)
    result = {
        "holdout_accuracy": judge.holdout_accuracy,
        "settings": {**judge.settings, "box": list(judge.settings["box"])},
    }
    real = None if reference is None else judge.descriptors(reference.images[:n])
    if generator.conditional:
        requested, faces, flipped = sex_requests(generator, n, seed)
        p_male, p_flipped = judge.p_male(faces), judge.p_male(flipped)
        men = requested["male"] > 0.5
        result.update(
            sex_obeyed=float(np.mean((p_male > 0.5) == men)),
            flip_test=float(np.mean((p_male > 0.5) != (p_flipped > 0.5))),
            p_male_requested_men=float(p_male[men].mean()),
            p_male_requested_women=float(p_male[~men].mean()),
            within_request=_within_request(run, generator, judge, reference, real, requests, per_request, seed),
        )
    if real is not None:
        values = run.family.sample_request(len(real), seed)[1] if generator.conditional else {}
        prior, _ = generator.generate(len(real), seed=seed, **values)
        prior = judge.descriptors(prior)
        half = len(real) // 2
        result.update(
            frechet=metrics.frechet_distance(prior, real),
            frechet_real_vs_real=metrics.frechet_distance(real[:half], real[half:]),
            diversity_ratio=metrics.spread(prior) / metrics.spread(real),
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _within_request(run, generator, judge, reference, real, requests: int, per_request: int, seed: int) -> dict:
    """Spread of samples under one fixed request, over the spread of real faces of the requested sex;
    beside it the same ratio for the reconstructions of those real faces: the variety the decoder
    keeps of faces it is shown, a ceiling for what it draws under one request."""
    labels = run.family.sample_request(requests, seed + 1)[1]
    male_real = None
    if reference is not None:
        male_real = reference.targets["male"].to_numpy(np.float32)[: len(real)]
    ratios, spreads, chosen = [], [], []
    for index in range(requests):
        values = {name: float(labels[name][index]) for name in ("hair", "mouth", "eyes")}
        values["male"] = float(index % 2)
        faces, _ = generator.generate(per_request, seed=seed + 100 + index, **values)
        spreads.append(metrics.spread(judge.descriptors(faces)))
        if real is not None:
            ratios.append(spreads[-1] / _same_sex_spread(real, male_real, values["male"] > 0.5))
        chosen.append(values)
    out = {"labels": chosen, "per_request": per_request, "sample_spread": float(np.mean(spreads))}
    if real is not None:
        images = as_model_input(reference.images[: len(real)])
        reconstructed = judge.descriptors(generator.reconstruct(images, generator.condition.of_images(images)))
        ceiling = [
            _same_sex_spread(reconstructed, male_real, male) / _same_sex_spread(real, male_real, male)
            for male in (False, True)
        ]
        out["real_spread"] = metrics.spread(real)
        out["spread_over_real_same_sex"] = float(np.mean(ratios))
        out["reconstructions_over_real_same_sex"] = float(np.mean(ceiling))
    return out


def _same_sex_spread(descriptors, male_real, male: bool) -> float:
    """The spread of the descriptors of the faces labelled ``male`` (NaN when fewer than two)."""
    same_sex = np.isfinite(male_real) & ((male_real > 0.5) == male)
    return metrics.spread(descriptors[same_sex]) if same_sex.sum() > 1 else np.nan


def descriptor_rows(d: dict, control_: dict | None = None) -> list[str]:
    """The report's rows of the descriptor judge, beside the condition models' where both measure one thing."""
    own = lambda key: f"{control_[key]:.1%}" if control_ else "–"  # noqa: E731
    accuracy = "unknown" if d["holdout_accuracy"] is None else f"{d['holdout_accuracy']:.1%}"
    lines = [
        f"Judged by dlib's face descriptor too (sex probe hold-out accuracy {accuracy}).",
        "",
        "| measure | descriptor judge | condition models |",
        "|---|---|---|",
    ]
    if "sex_obeyed" in d:
        w = d["within_request"]
        lines += [
            f"| requested sex obeyed (extreme requests) | {d['sex_obeyed']:.1%} | {own('sex_obeyed')} |",
            f"| flip test (same z, sex flipped) | {d['flip_test']:.1%} | {own('flip_test')} |",
            f"| mean P(male), requested men / women | {d['p_male_requested_men']:.2f} / "
            f"{d['p_male_requested_women']:.2f} | |",
        ]
        if "spread_over_real_same_sex" in w:
            lines += [
                f"| spread within one request / real faces of that sex | {w['spread_over_real_same_sex']:.1%} | |",
                "| spread of those real faces' reconstructions / the faces' (the decoder's ceiling) | "
                f"{w['reconstructions_over_real_same_sex']:.1%} | |",
            ]
    if "frechet" in d:
        lines += [
            f"| Fréchet distance (descriptors) | {d['frechet']:.4f} (real vs real {d['frechet_real_vs_real']:.4f}) | |",
            f"| diversity vs real (descriptors) | {d['diversity_ratio']:.1%} | |",
        ]
    return lines


def fit_descriptor_judge(
    celeba_folder, output, n: int | None = None, image_size=(64, 64), C: float = PROBE_C, **settings
) -> DescriptorJudge:
    """Fit the probe on CelebA's training faces (``n`` at most), score it on the test faces, save it to ``output``."""
    data = load_celeba(celeba_folder, tuple(image_size), eyes="narrow_eyes")
    train = data.train if n is None else data.train.take(np.arange(min(n, len(data.train))))
    male = lambda split: split.attributes["Male"].to_numpy()  # noqa: E731
    started = time.perf_counter()
    judge = DescriptorJudge.fit(train.images, male(train), C=C, test=(data.test.images, male(data.test)), **settings)
    per_100 = 100 * (time.perf_counter() - started) / (len(train) + len(data.test))
    judge.info.update(
        source=str(celeba_folder), image_size=list(image_size), n_test=len(data.test), seconds_per_100=per_100
    )
    judge.save(output)
    return judge
