"""Latent tools: interpolation, t-SNE, manifold, walks, re-drawing, drawn digits, the latent command."""

import json
import re

import keras
import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.core.errors import DataError
from cvae_tf.core.layers import Sampling
from cvae_tf.core.saving import SavedRun, write_run
from cvae_tf.families.mnist import latent
from cvae_tf.families.mnist.condition import NUM_CLASSES
from cvae_tf.families.mnist.data import load_mnist
from cvae_tf.families.mnist.latent import LatentModel

# --- interpolation ---------------------------------------------------------------------------


def test_lerp_and_slerp_start_and_end_at_the_inputs():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(8), 3 * rng.standard_normal(8)
    for method in latent.METHODS:
        path = latent.interpolate(a, b, steps=7, method=method)
        assert path.shape == (7, 8)
        np.testing.assert_allclose(path[0], a, atol=1e-5)
        np.testing.assert_allclose(path[-1], b, atol=1e-5)


def test_slerp_moves_the_norm_linearly_and_turns_on_the_great_circle():
    a, b = np.array([2.0, 0.0, 0.0]), np.array([0.0, 4.0, 0.0])
    path = latent.slerp(a, b, steps=5)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), [2.0, 2.5, 3.0, 3.5, 4.0], rtol=1e-5)
    angles = np.degrees(np.arctan2(path[:, 1], path[:, 0]))
    np.testing.assert_allclose(angles, [0, 22.5, 45, 67.5, 90], atol=1e-4)  # equal angular steps
    # the straight line dips towards the origin; slerp does not
    assert np.linalg.norm(latent.lerp(a, b, 5)[2]) < 2.3 < np.linalg.norm(path[2])


def test_slerp_of_parallel_vectors_is_the_straight_line():
    a = np.array([1.0, 1.0])
    np.testing.assert_allclose(latent.slerp(a, 3 * a, 3), latent.lerp(a, 3 * a, 3), atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [({"method": "cubic"}, "method='cubic'"), ({"steps": 1}, "steps=1")])
def test_interpolate_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        latent.interpolate(np.zeros(2), np.ones(2), **kwargs)


# --- t-SNE and class means ---------------------------------------------------------------------


def clusters(per_class=30, classes=10, width=40, seed=0):
    """Well separated Gaussian clusters in ``width`` dimensions, one per class."""
    rng = np.random.default_rng(seed)
    centres = 10 * rng.standard_normal((classes, width))
    labels = np.repeat(np.arange(classes), per_class)
    return centres[labels] + rng.standard_normal((len(labels), width)), labels


def test_tsne_of_a_few_hundred_points_is_finite_seeded_and_keeps_clusters():
    z, labels = clusters(width=64)  # wider than the PCA step's 30 components
    embedding, indices = latent.tsne_embedding(z, points=250, seed=1)
    assert embedding.shape == (250, 2) and np.isfinite(embedding).all()
    assert len(np.unique(indices)) == 250 and np.all(np.diff(indices) > 0)
    again, _ = latent.tsne_embedding(z, points=250, seed=1)
    np.testing.assert_allclose(embedding, again)
    # each point's nearest neighbour in the embedding has its label: the clusters survived
    chosen = labels[indices]
    distances = np.linalg.norm(embedding[:, None] - embedding[None], axis=-1) + np.eye(len(embedding)) * 1e9
    assert np.mean(chosen[distances.argmin(axis=1)] == chosen) > 0.95


def test_tsne_with_more_points_asked_than_there_are_takes_them_all():
    z, _ = clusters(per_class=3)
    embedding, indices = latent.tsne_embedding(z, points=1000)
    assert embedding.shape == (30, 2) and indices.tolist() == list(range(30))


def test_class_means_per_label_and_nan_for_a_missing_one():
    z = np.array([[0.0, 2.0], [2.0, 4.0], [5.0, 5.0]])
    means = latent.class_means(z, [1, 1, 3], classes=4)
    np.testing.assert_allclose(means[1], [1.0, 3.0])
    np.testing.assert_allclose(means[3], [5.0, 5.0])
    assert np.isnan(means[0]).all() and np.isnan(means[2]).all()


# --- stub models: exact values through LatentModel ------------------------------------------


class Stub:
    """A model stand-in: ``input`` names its inputs, ``predict`` (and ``predict_on_batch``) applies ``fn``."""

    def __init__(self, inputs, fn):
        self.input = inputs
        self.fn = fn
        self.calls = []

    def predict(self, inputs, **_):
        self.calls.append(inputs)
        return self.fn(inputs)

    def predict_on_batch(self, inputs):
        return self.predict(inputs)


def stub_model(conditional):
    """Encoder: z_mean = (mean pixel, 0). Decoder: an image filled with z₀ (VAE) or with the
    condition's digit / 10 (C-VAE), so a test can read back what was decoded."""

    def encode(inputs):
        mean_pixel = inputs["image"].reshape(len(inputs["image"]), -1).mean(axis=1)
        z_mean = np.stack([mean_pixel, np.zeros_like(mean_pixel)], axis=1)
        return {"z_mean": z_mean, "z_log_var": np.zeros_like(z_mean)}

    def decode(inputs):
        z = inputs["z"]
        value = inputs["condition"][:, :NUM_CLASSES].argmax(axis=1) / 10 if conditional else z[:, 0]
        return np.broadcast_to(value[:, None, None, None], (len(z), 28, 28, 1)).astype(np.float32)

    condition = {"condition": keras.KerasTensor((None, 11))} if conditional else {}
    encoder = Stub({"image": keras.KerasTensor((None, 28, 28, 1)), **condition}, encode)
    decoder = Stub({"z": keras.KerasTensor((None, 2)), **condition}, decode)
    return LatentModel(encoder, decoder)


def test_vae_redraw_moves_z_by_the_difference_of_class_means():
    model = stub_model(conditional=False)
    assert not model.conditional
    image = np.full((28, 28), 51, np.uint8)  # z_mean = (0.2, 0)
    means = np.stack([np.arange(10) / 10, np.zeros(10)], axis=1).astype(np.float32)
    redrawn = latent.redraw(model, image, digit=4, means=means)
    assert redrawn.shape == (10, 28, 28)
    np.testing.assert_allclose(redrawn[:, 0, 0], 0.2 + means[:, 0] - means[4, 0], atol=1e-6)
    with pytest.raises(ValueError, match="needs the mean latent of every class"):
        latent.redraw(model, image, digit=4)


def test_cvae_redraw_keeps_z_and_white_and_changes_only_the_digit():
    model = stub_model(conditional=True)
    redrawn = latent.redraw(model, np.full((28, 28), 51, np.uint8), digit=4, white=0.25)
    np.testing.assert_allclose(redrawn[:, 0, 0], np.arange(10) / 10)  # decoded as 0, 1, … 9
    encoded, decoded = model.encoder.calls[-1], model.decoder.calls[-1]
    assert encoded["condition"][0, 4] == 1  # encoded with its own class
    np.testing.assert_allclose(decoded["z"], np.tile([[0.2, 0.0]], (10, 1)), atol=1e-6)
    np.testing.assert_allclose(decoded["condition"][:, -1], 0.25)
    np.testing.assert_array_equal(decoded["condition"][:, :10], np.eye(10))


def test_cvae_walk_moves_the_digit_condition_with_z():
    model = stub_model(conditional=True)
    means = np.zeros((10, 2), np.float32)
    images = latent.latent_walk(model, means, 2, 6, steps=5, method="linear", white=-0.5)
    conditions = model.decoder.calls[-1]["condition"]
    np.testing.assert_allclose(conditions[:, 2], [1, 0.75, 0.5, 0.25, 0])
    np.testing.assert_allclose(conditions[:, 6], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(conditions[:, -1], -0.5)
    np.testing.assert_allclose(images[[0, -1], 0, 0], [0.2, 0.6])
    means[6] = np.nan
    with pytest.raises(ValueError, match="digit 6: no mean latent"):
        latent.latent_walk(model, means, 2, 6)


def test_reconstruct_encodes_and_decodes_each_image_with_its_own_condition():
    model = stub_model(conditional=True)
    images = np.zeros((3, 28, 28), np.uint8)
    reconstructions = latent.reconstruct(model, images, [7, 2, 9])
    assert reconstructions.shape == (3, 28, 28)
    np.testing.assert_allclose(reconstructions[:, 5, 5], [0.7, 0.2, 0.9])
    with pytest.raises(ValueError, match="pass the labels"):
        latent.reconstruct(model, images)


def test_guess_digits_by_best_reconstruction_or_nearest_class_mean():
    images = np.stack([np.full((28, 28), v, np.uint8) for v in (77, 230)])  # pixel means 0.3, 0.9
    assert latent.guess_digits(stub_model(conditional=True), images).tolist() == [3, 9]
    means = np.stack([(9 - np.arange(10)) / 10, np.zeros(10)], axis=1)  # digit d at z₀ = (9 − d) / 10
    assert latent.guess_digits(stub_model(conditional=False), images, means).tolist() == [6, 0]


def test_manifold_decodes_a_symmetric_quantile_grid_and_needs_2d():
    model = stub_model(conditional=False)
    images, values = latent.manifold(model, steps=5)
    assert images.shape == (5, 5, 28, 28)
    np.testing.assert_allclose(values, -values[::-1], atol=1e-6)
    assert values[0] == pytest.approx(-1.645, abs=1e-3)  # the 5% quantile of N(0, 1)
    np.testing.assert_allclose(images[0, :, 0, 0], values, atol=1e-6)  # columns run along z₁
    model.decoder.input = {"z": keras.KerasTensor((None, 8))}
    with pytest.raises(ValueError, match="needs a 2-D latent; this model's latent has 8 dimensions"):
        latent.manifold(model)


# --- drawn digits -------------------------------------------------------------------------------


def drawing(path, size=(28, 28), mode="L", value=0, fmt="PNG"):
    image = Image.new(mode, size, value)
    if mode == "L":
        image.paste(255, (10, 4, 16, 24))  # a white bar: a "1"
    image.save(path, format=fmt)
    return path


def test_load_drawn_digit_reads_a_28x28_grey_png(tmp_path):
    array = latent.load_drawn_digit(drawing(tmp_path / "one.png"))
    assert array.shape == (28, 28) and array.dtype == np.uint8 and array.max() == 255


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: drawing(p, size=(32, 32)), r"a PNG image, 32×32 pixels, mode L"),
        (lambda p: drawing(p, mode="RGB"), r"mode RGB"),
        (lambda p: drawing(p, fmt="JPEG"), r"a JPEG image"),
        (lambda p: drawing(p, value=255), r"mostly white .* \(invert it\)"),
        (lambda p: p.write_text("not a picture"), r"not a readable image"),
    ],
    ids=["32x32", "rgb", "jpeg", "black-on-white", "text"],
)
def test_a_drawing_of_the_wrong_kind_is_named_with_what_is_wrong(tmp_path, make, match):
    path = tmp_path / "mine.png"
    make(path)
    with pytest.raises(DataError, match=match) as caught:
        latent.load_drawn_digit(path)
    assert "mine.png" in str(caught.value) and "expected a 28×28 greyscale" in str(caught.value)


# --- a trained C-VAE -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tiny_run):
    run_dir, _ = tiny_run
    model = LatentModel.from_run(run_dir)
    test = load_mnist("sample").test
    return model, test


def test_trained_cvae_reconstructs_in_range_from_z_mean(trained):
    model, test = trained
    assert model.conditional and model.latent_dim == 8
    images, labels = test.images[:50], test.labels[:50]
    reconstructions = latent.reconstruct(model, images, labels)
    assert reconstructions.shape == (50, 28, 28)
    assert 0 <= reconstructions.min() and reconstructions.max() <= 1
    np.testing.assert_allclose(latent.reconstruct(model, images, labels), reconstructions)  # z_mean, not a sample


def test_trained_cvae_redraw_and_walk_shapes_and_ends(trained):
    model, test = trained
    redrawn = latent.redraw(model, test.images[0], int(test.labels[0]))
    assert redrawn.shape == (10, 28, 28) and np.isfinite(redrawn).all()
    means = latent.class_means(model.encode(test.images, test.labels), test.labels)
    walk = latent.latent_walk(model, means, 3, 8, steps=6, method="slerp")
    assert walk.shape == (6, 28, 28)
    np.testing.assert_allclose(walk[0], model.decode(means[[3]], labels=[3])[0], atol=1e-5)
    np.testing.assert_allclose(walk[-1], model.decode(means[[8]], labels=[8])[0], atol=1e-5)


# --- the cvae-tf latent command ------------------------------------------------------------------


def toy_vae_run(path, data=None, shape=(28, 28, 1)):
    """A run folder holding an untrained vanilla VAE with a 2-D latent (no condition)."""
    image = keras.Input(shape, name="image")
    hidden = keras.layers.Flatten()(image)
    z_mean = keras.layers.Dense(2, name="z_mean")(hidden)
    z_log_var = keras.layers.Dense(2, name="z_log_var")(hidden)
    encoder = keras.Model(
        {"image": image},
        {"z_mean": z_mean, "z_log_var": z_log_var, "z": Sampling(name="z")([z_mean, z_log_var])},
        name="vae_encoder_model",
    )
    z = keras.Input((2,), name="z")
    output = keras.layers.Reshape(shape)(keras.layers.Dense(int(np.prod(shape)), activation="sigmoid")(z))
    decoder = keras.Model({"z": z}, output, name="vae_decoder_model")
    config = tiny_config(family="conv_vae")
    config.model.latent_dim = 2
    for key, value in (data or {}).items():
        setattr(config.data, key, value)
    return write_run(
        path, {"encoder": encoder, "decoder": decoder}, {"family": "mnist_vae", "config": config.to_dict()}
    )


def test_latent_command_writes_every_figure_for_a_cvae(tiny_run, tmp_path, capsys):
    run_dir, _ = tiny_run
    out = tmp_path / "figures"
    drawn = drawing(tmp_path / "my_one.png")
    code = main(
        [
            "latent",
            str(run_dir),
            "--reconstructions",
            "--tsne",
            "--points",
            "120",
            "--walk",
            "3",
            "5",
            "--steps",
            "6",
            "--method",
            "linear",
            "--redraw",
            str(drawn),
            "--digit",
            "1",
            "--output-dir",
            str(out),
        ]
    )
    assert code == 0
    names = ["reconstructions.png", "tsne.png", "walk_3_to_5_linear.png", "walk_3_to_5_linear.gif", "redraw_my_one.png"]
    assert capsys.readouterr().out.split() == [str(out / name) for name in names]
    sizes = {name: Image.open(out / name).size for name in names}
    assert sizes["reconstructions.png"][0] > 600  # ten columns of digits
    assert sizes["tsne.png"][0] > 500 and sizes["tsne.png"][1] > 400
    width, height = sizes["walk_3_to_5_linear.png"]
    assert width > 2 * height  # a strip: two rows (linear, slerp) of six
    gif = Image.open(out / "walk_3_to_5_linear.gif")
    assert gif.size == (112, 112) and gif.n_frames == 10  # six forward, four back
    width, height = sizes["redraw_my_one.png"]
    assert width > 5 * height  # one row: the drawing and ten digits


def test_latent_command_on_a_vae_default_folder_and_manifold(tmp_path, capsys):
    run_dir = toy_vae_run(tmp_path / "vae")
    assert main(["latent", str(run_dir), "--manifold", "--redraw", "--walk", "0", "9"]) == 0
    printed = capsys.readouterr().out.split()
    folder = run_dir / "latent"
    assert printed == [
        str(folder / n) for n in ("manifold.png", "walk_0_to_9_slerp.png", "walk_0_to_9_slerp.gif", "redraw_test.png")
    ]
    assert Image.open(folder / "manifold.png").size[0] > 500
    assert Image.open(folder / "redraw_test.png").size[1] > 500  # ten rows, one per test digit


def test_latent_command_on_a_vae_trained_on_an_image_folder(tmp_path, capsys):
    for c, name in enumerate(["circle", "square", "star"]):
        for i in range(10):
            (tmp_path / "shapes" / name).mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (32, 32), (80 * c, 40, 200)).save(tmp_path / "shapes" / name / f"{i}.png")
    data = {"format": "images", "source": str(tmp_path / "shapes"), "image_size": [16, 16], "channels": 3}
    run_dir = toy_vae_run(tmp_path / "vae", data, shape=(16, 16, 3))
    assert (
        main(["latent", str(run_dir), "--reconstructions", "--tsne", "--points", "20", "--walk", "0", "2", "--redraw"])
        == 0
    )
    folder = run_dir / "latent"
    for name in ("reconstructions.png", "tsne.png", "walk_0_to_2_slerp.png", "redraw_test.png"):
        assert (folder / name).exists(), name
    gif = Image.open(folder / "walk_0_to_2_slerp.gif")
    assert gif.size == (64, 64) and gif.mode in ("P", "RGB")  # 16×16 colour frames, enlarged 4×
    width, height = Image.open(folder / "redraw_test.png").size
    assert 0.8 * width < 4 / 3 * height  # three rows (one per class) of the input and three classes


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--redraw", "BAD"], r"bad\.png: a PNG image, 30×28 pixels, mode L; expected a 28×28 greyscale"),
        (["--manifold"], "needs a 2-D latent; this model's latent has 8 dimensions"),
        ([], "nothing to draw"),
        (["--walk", "3", "12"], "digit 12: no mean latent"),
    ],
    ids=["wrong-shape-png", "manifold-8d", "no-figure", "digit-12"],
)
def test_latent_command_errors_exit_2_with_a_message(tiny_run, tmp_path, capsys, extra, match):
    run_dir, _ = tiny_run
    extra = [str(drawing(tmp_path / "bad.png", size=(30, 28))) if arg == "BAD" else arg for arg in extra]
    assert main(["latent", str(run_dir), "--output-dir", str(tmp_path / "out"), *extra]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cvae-tf: error:")
    assert re.search(match, error), error


def test_latent_command_names_moved_data(tmp_path, capsys):
    run_dir = toy_vae_run(tmp_path / "vae")
    manifest = SavedRun.open(run_dir).manifest
    manifest["config"]["data"]["source"] = str(tmp_path / "gone" / "mnist_train.csv")
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert main(["latent", str(run_dir), "--tsne"]) == 2
    error = capsys.readouterr().err
    assert "gone/mnist_train.csv: no such file" in error and "pass --data" in error
