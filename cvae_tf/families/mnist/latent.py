"""Latent-space tools for the vanilla VAE and the C-VAE alike.

Computation functions return arrays (so tests can check values); ``write_*`` functions turn
them into the named figures that ``cvae-tf latent`` and notebook 05 show:

- ``reconstructions.png``: test images beside their reconstructions (from z_mean);
- ``tsne.png``: t-SNE of the test set's latent means, coloured by digit (PCA first, for speed);
- ``manifold.png``: a 2-D latent decoded over a grid of prior quantiles;
- ``walk_A_to_B_<method>.png`` / ``.gif``: decoded interpolation between digit A's and digit B's
  mean latents, linear or spherical;
- ``redraw_<name>.png``: a digit encoded with its own class and decoded as every digit.

A C-VAE's latent holds the *style* and its condition the digit, so its t-SNE is mixed by digit
and re-drawing swaps the condition; a VAE's latent holds both, so its t-SNE clusters by digit
and re-drawing moves z by the difference of the class means (latent vector arithmetic).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvae_tf.core import plots
from cvae_tf.core.data import held_out
from cvae_tf.core.errors import DataError
from cvae_tf.core.inference import LatentGenerator, as_display, as_model_input  # noqa: F401  (re-exported)
from cvae_tf.core.saving import SavedRun
from cvae_tf.families.mnist.condition import NUM_CLASSES, condition_vectors

METHODS = ("linear", "slerp")


@dataclass
class LatentModel:
    """The latent tools' view of a run: its ``LatentGenerator`` with images addressed by their class labels."""

    encoder: object
    decoder: object
    condition: object = None  # the run's saved Condition, or None

    def __post_init__(self):
        self.generator = LatentGenerator(self.encoder, self.decoder, self.condition)

    @classmethod
    def from_run(cls, run) -> LatentModel:
        """The latent tools' view of a run: a ``SavedRun``, or the path of its folder."""
        run = run if isinstance(run, SavedRun) else SavedRun.open(run)
        return cls(run.encoder, run.decoder, run.condition)

    @property
    def conditional(self) -> bool:
        return self.generator.conditional

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def conditions(self, images, labels) -> np.ndarray | None:
        """Real images' condition vectors (their own digit and white ratio); None for a VAE."""
        if not self.conditional:
            return None
        if labels is None:
            raise ValueError("a C-VAE encodes an image together with its digit; pass the labels")
        if self.condition is None:
            return condition_vectors(labels, 0.0)
        return self.condition.of_images(images, labels)

    def encode(self, images, labels=None) -> np.ndarray:
        """z_mean (N, latent_dim) of ``images`` (uint8 0-255 or float 0-1, with or without a channel axis)."""
        return self.generator.encode(images, self.conditions(images, labels))["z_mean"]

    def decode(self, z, labels=None, white=0.0, conditions=None) -> np.ndarray:
        """Images (N, H, W[, C]) in [0, 1]; a C-VAE draws ``labels`` at ``white`` (or raw ``conditions``)."""
        z = np.asarray(z, dtype=np.float32)
        if self.conditional and conditions is None:
            if labels is None:
                raise ValueError("a C-VAE decodes z together with a digit; pass the labels")
            conditions = condition_vectors(np.broadcast_to(labels, len(z)), white)
        return self.generator.decode(z, conditions if self.conditional else None)


# --- computations --------------------------------------------------------------------------


def reconstruct(model: LatentModel, images, labels=None) -> np.ndarray:
    """Decoded z_mean of each image (with its own condition for a C-VAE): what the model keeps."""
    conditions = model.conditions(images, labels)
    return model.generator.reconstruct(images, conditions)


def tsne_embedding(z, points: int = 1000, seed: int = 0, pca_components: int = 30, threads: int | None = 1):
    """(embedding (n, 2), indices (n,)) for ``points`` seeded picks of ``z``.

    PCA down to ``pca_components`` first when z is wider (the usual speed-up: t-SNE's nearest
    neighbour search scales with the width); perplexity is capped for small ``n``. ``threads``
    caps t-SNE's OpenMP threads: they busy-wait, so on cores shared with other work (training)
    two threads ran 9× slower than one (300 points: 93 s against 11 s on this 2-core machine
    under load); ``None`` uses every core, best on an idle many-core machine.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    z = np.asarray(z, dtype=np.float32)
    if points < 5:
        raise ValueError(f"points={points}; t-SNE needs at least 5")
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.choice(len(z), size=min(points, len(z)), replace=False))
    chosen = z[indices]
    if chosen.shape[1] > pca_components:
        chosen = PCA(pca_components, random_state=seed).fit_transform(chosen)
    perplexity = min(30.0, (len(chosen) - 1) / 3)
    with threadpool_limits(threads, user_api="openmp"):
        embedding = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(chosen)
    return embedding, indices


def manifold(model: LatentModel, steps: int = 15, digit: int = 0, white: float = 0.0, quantile: float = 0.05):
    """(images (steps, steps, H, W), values (steps,)) decoding a 2-D latent over prior quantiles.

    Rows go from high to low z₂ (so the figure's y axis points up), columns from low to high z₁.
    """
    from scipy.stats import norm

    if model.latent_dim != 2:
        raise ValueError(f"the manifold grid needs a 2-D latent; this model's latent has {model.latent_dim} dimensions")
    values = norm.ppf(np.linspace(quantile, 1 - quantile, steps)).astype(np.float32)
    z1, z2 = np.meshgrid(values, values[::-1])
    z = np.stack([z1.ravel(), z2.ravel()], axis=1)
    images = model.decode(z, labels=np.full(len(z), digit), white=white)
    return images.reshape(steps, steps, *images.shape[1:]), values


def class_means(z, labels, classes: int | None = None) -> np.ndarray:
    """(classes, latent_dim): the mean latent of each class (NaN for a class with no images);
    ``classes`` defaults to the highest label + 1."""
    z, labels = np.asarray(z), np.asarray(labels)
    classes = int(labels.max()) + 1 if classes is None else classes
    means = np.full((classes, z.shape[1]), np.nan, dtype=np.float32)
    for label in range(classes):
        if np.any(labels == label):
            means[label] = z[labels == label].mean(axis=0)
    return means


def lerp(a, b, steps: int) -> np.ndarray:
    """(steps, d): the straight line from ``a`` to ``b``, both ends included."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(a, np.float32) + t * np.asarray(b, np.float32)


def slerp(a, b, steps: int) -> np.ndarray:
    """(steps, d): along the great circle from a's direction to b's, the norm moving linearly.

    In a Gaussian latent the straight line passes closer to the origin (lower norm, atypical
    under the prior) than either end; this path keeps norms typical. Parallel ends fall back to
    the straight line.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0 or norm_b == 0:
        return lerp(a, b, steps)
    unit_a, unit_b = a / norm_a, b / norm_b
    omega = np.arccos(np.clip(unit_a @ unit_b, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(a, b, steps)
    direction = (np.sin((1 - t) * omega) * unit_a + np.sin(t * omega) * unit_b) / np.sin(omega)
    return (((1 - t) * norm_a + t * norm_b) * direction).astype(np.float32)


def interpolate(a, b, steps: int = 10, method: str = "slerp") -> np.ndarray:
    if method not in METHODS:
        raise ValueError(f"method={method!r}; expected one of {METHODS}")
    if steps < 2:
        raise ValueError(f"steps={steps}; a walk needs at least 2 (its two ends)")
    return (lerp if method == "linear" else slerp)(a, b, steps)


def latent_walk(model: LatentModel, means, a: int, b: int, steps: int = 10, method: str = "slerp", white=0.0):
    """Images (steps, H, W) decoded from digit ``a``'s mean latent to digit ``b``'s.

    For a C-VAE the digit one-hot moves linearly from a to b alongside z (at ``white``).
    """
    for digit in (a, b):
        if not 0 <= digit < len(means) or np.isnan(means[digit]).any():
            raise ValueError(
                f"digit {digit}: no mean latent (no test images of it); expected a digit 0-{len(means) - 1}"
            )
    z = interpolate(means[a], means[b], steps, method)
    conditions = None
    if model.conditional:
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        conditions = (1 - t) * condition_vectors([a], white) + t * condition_vectors([b], white)
    return model.decode(z, conditions=conditions)


def redraw(model: LatentModel, image, digit: int, means=None, white=None) -> np.ndarray:
    """(10, H, W): ``image`` (of class ``digit``) drawn as every digit 0-9, in its own style.

    C-VAE: encode with its own digit and white ratio, decode with each digit at that same white
    value. VAE: move z_mean by (mean latent of the target − mean latent of ``digit``), which
    needs the class ``means`` (any number of classes: one image per class comes back).
    """
    images = np.asarray(image)[None]
    z = model.encode(images, [digit])
    if model.conditional:
        if white is None:
            white = model.conditions(images, [digit])[0, -1]
        return model.decode(np.repeat(z, NUM_CLASSES, axis=0), labels=np.arange(NUM_CLASSES), white=white)
    if means is None or np.isnan(means).any():
        raise ValueError("re-drawing with a vanilla VAE needs the mean latent of every class (class_means)")
    return model.decode(z + means - means[digit])


def guess_digits(model: LatentModel, images, means=None) -> np.ndarray:
    """The classes of unlabelled digits (N,): for a C-VAE the condition that explains each best
    (``LatentGenerator.guess``, the server's rule too), for a VAE the nearest class mean latent."""
    images = np.asarray(images)
    if model.conditional:
        return model.generator.guess(images, np.arange(NUM_CLASSES), model.conditions)["classes"]
    if means is None:
        raise ValueError("guessing the digit with a vanilla VAE needs the class mean latents")
    z = model.encode(images)
    return np.nanargmin(np.linalg.norm(z[:, None] - means[None], axis=2), axis=1)


def load_drawn_digit(path: str | os.PathLike) -> np.ndarray:
    """A user's drawing as uint8 (28, 28): a greyscale PNG, 28×28, white strokes on black."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; expected a 28×28 greyscale PNG, white digit on black")
    try:
        with Image.open(path) as image:
            image.load()
            form, mode, size = image.format, image.mode, image.size
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"{path}: not a readable image ({err}); expected a 28×28 greyscale PNG") from None
    expected = "expected a 28×28 greyscale (mode L) PNG, white digit on black"
    if form != "PNG" or mode != "L" or size != (28, 28):
        raise DataError(f"{path}: a {form} image, {size[0]}×{size[1]} pixels, mode {mode}; {expected}")
    if array.mean() > 127:
        raise DataError(
            f"{path}: mostly white (mean pixel {array.mean():.0f} of 255), so it looks like a dark digit on white; "
            f"{expected} (invert it)"
        )
    return array


# --- the run's test data ---------------------------------------------------------------------


def run_test_data(run, source=None):
    """The test split of the data a run was trained on (``source`` overrides where it lies).

    A run's data source may be a relative path, so the command must run from where training
    ran, or be told ``source``. Without a test split, the validation split stands in.
    """
    return held_out(run.family.run_data(run, source))


def first_of_each(labels, per_class: int = 1) -> np.ndarray:
    """Indices of the first ``per_class`` images of each class present, class by class."""
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])


# --- figures written to files ---------------------------------------------------------------


def write_reconstructions(model: LatentModel, split, output_dir, count: int = 20) -> Path:
    chosen = first_of_each(split.labels, per_class=max(1, count // len(np.unique(split.labels))))
    images, labels = split.images[chosen], split.labels[chosen]
    figure = plots.reconstruction_figure(as_display(images), reconstruct(model, images, labels), labels)
    return plots.save_figure(figure, Path(output_dir) / "reconstructions.png")


def write_tsne(model: LatentModel, split, output_dir, points: int = 1000, seed: int = 0, class_names=None) -> Path:
    z = model.encode(split.images, split.labels)
    embedding, indices = tsne_embedding(z, points, seed)
    kind = "C-VAE (style only: the digit is the condition)" if model.conditional else "VAE"
    title = f"t-SNE of {len(indices)} test latent means, {kind}"
    figure = plots.embedding_scatter(embedding, split.labels[indices], class_names=class_names, title=title)
    return plots.save_figure(figure, Path(output_dir) / "tsne.png")


def write_manifold(model: LatentModel, output_dir, steps: int = 15, digit: int = 0, white: float = 0.0) -> Path:
    images, values = manifold(model, steps, digit, white)
    title = f"2-D latent decoded as digit {digit} (c = {white:+.1f})" if model.conditional else "2-D latent decoded"
    return plots.save_figure(plots.manifold_figure(images, values, title), Path(output_dir) / "manifold.png")


def write_walk(model: LatentModel, split, output_dir, a: int, b: int, steps=10, method="slerp", white=0.0):
    """``walk_A_to_B_<method>.png`` (both methods, one row each) and ``.gif`` (``method``)."""
    means = class_means(model.encode(split.images, split.labels), split.labels)
    rows = {m: latent_walk(model, means, a, b, steps, m, white) for m in METHODS}
    stem = Path(output_dir) / f"walk_{a}_to_{b}_{method}"
    t = np.linspace(0, 1, steps)
    figure = plots.image_grid(
        np.stack([rows[m] for m in METHODS]), row_labels=list(METHODS), col_labels=[f"t={v:.2f}" for v in t]
    )
    figure.suptitle(f"from the mean latent of {a} to that of {b}", y=1 + 0.35 / figure.get_figheight())
    strip = plots.save_figure(figure, stem.with_suffix(".png"))
    return [strip, plots.save_gif(rows[method], stem.with_suffix(".gif"))]


def write_redraw(model: LatentModel, split, output_dir, drawing=None, digit=None, white=None) -> Path:
    """``redraw_<drawing's name>.png`` for a user's PNG, else ``redraw_test.png`` (one test image per digit)."""
    means = None
    if not model.conditional:
        means = class_means(model.encode(split.images, split.labels), split.labels)
    if drawing is not None:
        image = load_drawn_digit(drawing)
        guessed = digit is None
        digit = int(guess_digits(model, image[None], means)[0]) if guessed else digit
        sources, digits = image[None], [digit]
        name = f"redraw_{Path(drawing).stem}.png"
        row_labels = [f"{digit}?" if guessed else str(digit)]
    else:
        chosen = first_of_each(split.labels)
        sources, digits = split.images[chosen], split.labels[chosen]
        name, row_labels = "redraw_test.png", [str(d) for d in digits]
    rows = [redraw(model, source, d, means, white) for source, d in zip(sources, digits)]
    figure = plots.redraw_figure(as_display(sources), np.stack(rows), row_labels)
    return plots.save_figure(figure, Path(output_dir) / name)


def add_parser(commands) -> None:
    """The ``cvae-tf latent`` subcommand (``commands`` is the CLI's subparsers object)."""
    latent = commands.add_parser(
        "latent",
        help="latent-space figures: reconstructions, t-SNE, walks, re-drawing, the 2-D manifold",
        description="Write latent-space figures of a run (VAE or C-VAE) as PNG / GIF files and print their paths.",
    )
    add = latent.add_argument
    add("run", type=Path, help="a run folder written by 'cvae-tf train'")
    add("--reconstructions", action="store_true", help="reconstructions.png: test images and their reconstructions")
    add("--tsne", action="store_true", help="tsne.png: t-SNE of the test set's latent means, coloured by digit")
    add("--points", type=int, default=1000, help="test images in the t-SNE (default 1000)")
    add(
        "--walk",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="walk_A_to_B_METHOD.png/.gif between two digits' mean latents",
    )
    add("--steps", type=int, default=10, help="images along the walk (default 10)")
    add(
        "--method",
        choices=METHODS,
        default="slerp",
        help="interpolation in the GIF (default slerp); the PNG shows both",
    )
    add(
        "--redraw",
        nargs="?",
        const="test",
        metavar="FILE.png",
        help="redraw_NAME.png: a 28x28 greyscale PNG (white digit on black) drawn as every digit; "
        "without FILE, redraw_test.png from one test image per digit",
    )
    add("--digit", type=int, help="the drawing's digit (default: guessed); the manifold's digit (default 0)")
    add("--manifold", action="store_true", help="manifold.png: the decoded grid of a 2-D latent")
    add("--white", type=float, default=0.0, help="C-VAE white-ratio condition c for walks and the manifold (default 0)")
    add("--data", help="where the run's training data lies now, if it moved (default: the run's data.source)")
    add("--seed", type=int, default=0, help="seed for picking the t-SNE points (default 0)")
    add("--output-dir", type=Path, help="folder for the figures (default RUN/latent)")
    latent.set_defaults(handler=run_latent)


def run_latent(args) -> None:
    """The ``cvae-tf latent`` command: write the asked-for figures, print their paths."""
    if not (args.reconstructions or args.tsne or args.walk or args.redraw or args.manifold):
        raise ValueError(
            "nothing to draw; choose one or more of --reconstructions, --tsne, --walk A B, --redraw [FILE], --manifold"
        )
    run = SavedRun.open(args.run)
    model = LatentModel.from_run(run)
    output_dir = Path(args.output_dir or Path(args.run) / "latent")
    needs_data = args.reconstructions or args.tsne or args.walk or args.redraw
    data = run.family.run_data(run, args.data) if needs_data else None
    split = held_out(data) if needs_data else None
    paths = []
    if args.reconstructions:
        paths.append(write_reconstructions(model, split, output_dir))
    if args.tsne:
        names = getattr(data, "class_names", None)
        paths.append(write_tsne(model, split, output_dir, points=args.points, seed=args.seed, class_names=names))
    if args.manifold:
        paths.append(write_manifold(model, output_dir, digit=args.digit or 0, white=args.white))
    if args.walk:
        paths += write_walk(
            model, split, output_dir, *args.walk, steps=args.steps, method=args.method, white=args.white
        )
    if args.redraw:
        drawing = None if args.redraw == "test" else args.redraw
        paths.append(write_redraw(model, split, output_dir, drawing, args.digit))
    for path in paths:
        print(path)
