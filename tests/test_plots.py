"""The figures of ``cvae_tf.core.plots`` on small arrays: their axes, images, titles and labels, the
saved files (size for the dpi, atomic writes), and colour images drawn in colour."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cvae_tf.core import plots  # noqa: E402
from cvae_tf.families.mnist import plots as digit_plots  # noqa: E402

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def primaries(size=8) -> np.ndarray:
    """Three colour images (3, size, size, 3): pure red, green and blue."""
    images = np.zeros((3, size, size, 3))
    for index in range(3):
        images[index, ..., index] = 1.0
    return images


def saved_pixels(fig, path, dpi=50) -> np.ndarray:
    return np.asarray(Image.open(plots.save_figure(fig, path, dpi=dpi)).convert("RGB")).astype(int)


def share_of(pixels: np.ndarray, colour) -> float:
    """Share of the pixels within 40 levels of ``colour`` in every channel."""
    return float((np.abs(pixels - np.array(colour)).max(axis=-1) < 40).mean())


def greyness(pixels: np.ndarray) -> int:
    """The largest difference between the channels of any pixel: 0 for a grey picture."""
    return int((pixels.max(axis=-1) - pixels.min(axis=-1)).max())


# --- grids of images ---------------------------------------------------------------------------


def test_image_grid_has_one_bare_axes_per_image_with_row_and_column_labels():
    images = np.random.default_rng(0).random((2, 3, 6, 6))
    fig = plots.image_grid(images, row_labels=["a", "b"], col_labels=["x", "y", "z"], title="grid")
    assert len(fig.axes) == 6 and all(len(ax.images) == 1 for ax in fig.axes)
    for index, ax in enumerate(fig.axes):
        row, col = divmod(index, 3)
        np.testing.assert_array_equal(ax.images[0].get_array(), images[row, col])
        assert ax.images[0].get_clim() == (0.0, 1.0) and ax.images[0].get_cmap().name == "gray"
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
        assert ax.get_ylabel() == (["a", "b"][row] if col == 0 else "")
        assert ax.get_title() == (["x", "y", "z"][col] if row == 0 else "")
    assert fig._suptitle.get_text() == "grid"
    assert plots.image_grid(images)._suptitle is None  # no title asked: none drawn


def test_image_grid_draws_colour_images_in_colour_and_greyscale_in_grey(tmp_path):
    fig = plots.image_grid(primaries()[None])
    assert fig.axes[0].images[0].get_array().shape == (8, 8, 3)
    pixels = saved_pixels(fig, tmp_path / "colour.png")
    assert all(share_of(pixels, colour) > 0.02 for colour in (RED, GREEN, BLUE))
    grey = saved_pixels(plots.image_grid(primaries()[None, ..., 0]), tmp_path / "grey.png")
    assert greyness(grey) <= 2 and share_of(grey, (255, 255, 255)) > 0.02  # the red channel, drawn white


def test_digit_grid_has_a_row_per_digit_holding_that_digit_s_images(digits):
    images, labels = digits
    fig = digit_plots.digit_grid(images, labels, title="digits", per_row=12)
    assert len(fig.axes) == 10 * 4  # four of each digit: rows as long as the rarest digit allows
    for digit in range(10):
        row = fig.axes[4 * digit : 4 * digit + 4]
        assert row[0].get_ylabel() == str(digit)
        for ax, image in zip(row, images[labels == digit]):
            np.testing.assert_array_equal(ax.images[0].get_array(), image)
    fewer = digit_plots.digit_grid(
        images[labels != 5][:-1].tolist() + [images[labels == 5][0]], [*labels[labels != 5][:-1], 5]
    )
    assert len(fewer.axes) == 10  # a single 5: one image per row
    assert len(digit_plots.digit_grid(images, labels, per_row=2).axes) == 20


def test_thickness_figure_labels_columns_by_the_white_condition():
    images = np.random.default_rng(1).random((2, 3, 5, 5))
    fig = digit_plots.thickness_figure(images, [-1.0, 0.0, 0.5], digit=4)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes[:3]] == ["c=-1.00", "c=+0.00", "c=+0.50"]
    assert fig._suptitle.get_text() == "digit 4: white ratio condition from thin to bold"
    assert digit_plots.thickness_figure(images, [-1, 0, 1], 4, title="mine")._suptitle.get_text() == "mine"


def test_reconstruction_figure_pairs_rows_of_originals_and_reconstructions():
    rng = np.random.default_rng(2)
    originals, reconstructions = rng.random((12, 5, 5)), rng.random((12, 5, 5))
    fig = plots.reconstruction_figure(originals, reconstructions, labels=list("abcde"), per_row=5)
    assert len(fig.axes) == 4 * 5  # two whole rows of five; the last two images are left out
    assert [ax.get_ylabel() for ax in fig.axes[::5]] == ["original", "decoded", "original", "decoded"]
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    np.testing.assert_array_equal(fig.axes[5].images[0].get_array(), reconstructions[0])
    np.testing.assert_array_equal(fig.axes[10].images[0].get_array(), originals[5])
    np.testing.assert_array_equal(fig.axes[19].images[0].get_array(), reconstructions[9])


def test_redraw_figure_puts_each_source_before_its_ten_redrawings(tmp_path):
    rng = np.random.default_rng(3)
    sources, redrawn = rng.random((2, 6, 6)), rng.random((2, 10, 6, 6))
    fig = plots.redraw_figure(sources, redrawn, row_labels=["one", "two"])
    assert len(fig.axes) == 2 * 11
    assert [ax.get_title() for ax in fig.axes[:11]] == ["input"] + [str(d) for d in range(10)]
    assert [fig.axes[0].get_ylabel(), fig.axes[11].get_ylabel()] == ["one", "two"]
    np.testing.assert_array_equal(fig.axes[11].images[0].get_array(), sources[1])
    np.testing.assert_array_equal(fig.axes[14].images[0].get_array(), redrawn[1, 2])
    assert fig._suptitle.get_text() == "same style, every digit"
    colour = plots.redraw_figure(primaries()[:1], np.repeat(primaries()[None, 1:2], 10, axis=1))
    pixels = saved_pixels(colour, tmp_path / "redraw.png")
    assert share_of(pixels, RED) > 0.005 and share_of(pixels, GREEN) > 10 * share_of(pixels, RED)


def test_manifold_figure_is_one_mosaic_with_latent_unit_ticks(tmp_path):
    images = np.random.default_rng(4).random((3, 3, 4, 4))
    fig = plots.manifold_figure(images, np.array([-1.0, 0.0, 1.0]), title="manifold")
    (ax,) = fig.axes
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (12, 12)
    np.testing.assert_array_equal(mosaic[4:8, 8:12], images[1, 2])  # row block 1, column block 2
    assert [label.get_text() for label in ax.get_xticklabels()] == ["-1.00", "0.00", "1.00"]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["1.00", "0.00", "-1.00"]  # z₂ grows upwards
    assert list(ax.get_xticks()) == [2.0, 6.0, 10.0]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("z₁", "z₂", "manifold")
    colour = np.stack([primaries()[:2], primaries()[1:]])  # (2, 2, 8, 8, 3)
    fig = plots.manifold_figure(colour, np.array([-1.0, 1.0]))
    assert fig.axes[0].images[0].get_array().shape == (16, 16, 3)
    pixels = saved_pixels(fig, tmp_path / "manifold.png")
    assert all(share_of(pixels, colour) > 0.02 for colour in (RED, GREEN, BLUE))


# --- curves, histograms, scatter, the evaluation report's figure ---------------------------------------


def test_loss_curves_draw_a_panel_per_term_with_validation_and_the_grey_loss_switch():
    log = pd.DataFrame(
        {
            "epoch": [0, 1, 2],
            "loss": [3.0, 2.0, 1.5],
            "val_loss": [3.1, 2.2, 1.7],
            "kl": [1.0, 1.1, 1.2],
            "mse": [2, 1, 0.5],
        }
    )
    fig = plots.loss_curves(log, grey_from_epoch=2)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mse", "kl"]  # the fixed order, absent terms left out
    loss, mse, _ = fig.axes
    assert [line.get_label() for line in loss.get_lines()] == ["train", "validation", "grey loss on"]
    np.testing.assert_array_equal(loss.get_lines()[0].get_xdata(), [1, 2, 3])  # epochs counted from 1
    np.testing.assert_array_equal(loss.get_lines()[1].get_ydata(), [3.1, 2.2, 1.7])
    assert list(loss.get_lines()[2].get_xdata()) == [1.5, 1.5]  # between the epochs without and with it
    assert [line.get_label() for line in mse.get_lines()] == ["train", "grey loss on"]
    assert all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    assert [text.get_text() for text in loss.get_legend().get_texts()] == ["train", "validation", "grey loss on"]
    (only,) = plots.loss_curves(log[["epoch", "loss"]]).axes  # one term: one panel, no switch
    assert len(only.get_lines()) == 1


def test_white_ratio_histograms_give_each_digit_its_panel_and_statistics():
    labels = np.repeat(np.arange(10), 5)
    ratios = labels / 10 + np.tile([0.0, 0.01, 0.02, 0.03, 0.04], 10)
    fig = digit_plots.white_ratio_histograms(ratios, labels, bins=5)
    assert len(fig.axes) == 10
    assert fig.axes[3].get_title() == "3: μ=0.320 σ=0.014"
    assert sum(patch.get_height() for patch in fig.axes[7].patches) == 5  # that digit's five values
    assert fig._supxlabel.get_text() == "white ratio r (mean pixel / 255)"


def test_embedding_scatter_has_one_coloured_series_and_legend_entry_per_class():
    rng = np.random.default_rng(5)
    points, labels = rng.normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    fig = plots.embedding_scatter(points, labels, class_names=["zero", "one", "two"], title="t-SNE")
    (ax,) = fig.axes
    assert len(ax.collections) == 3 and ax.get_title() == "t-SNE"
    np.testing.assert_allclose(ax.collections[1].get_offsets(), points[10:20])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["zero", "one", "two"]
    colours = {tuple(collection.get_facecolor()[0]) for collection in ax.collections}
    assert len(colours) == 3
    many = plots.embedding_scatter(rng.normal(size=(12, 2)), np.arange(12))  # past ten classes: tab20
    assert len({tuple(collection.get_facecolor()[0]) for collection in many.axes[0].collections}) == 12
    assert many.axes[0].get_legend().get_texts()[11].get_text() == "11"


def evaluation_result(conditional=True, missing=False) -> dict:
    generated = [float(d) for d in range(10)]
    real = [0.5] * 10
    if missing:  # a digit with under two images has no distance
        generated[0], real[3] = None, None
    result = {"frechet": {"per_digit_generated_vs_real": generated, "per_digit_real_vs_real": real}}
    if conditional:
        result["conditional_accuracy"] = {"per_digit": [0.95] * 9 + [0.8]}
    return result


def test_evaluation_figure_shows_generated_and_real_digits_then_bars_per_digit(tmp_path):
    rng = np.random.default_rng(6)
    generated, real = rng.random((10, 3, 5, 5)), rng.random((10, 2, 5, 5))
    fig = digit_plots.evaluation_figure(evaluation_result(), generated, real)
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 30 + 20
    np.testing.assert_array_equal(image_axes[4].images[0].get_array(), generated[1, 1])
    np.testing.assert_array_equal(image_axes[30 + 3].images[0].get_array(), real[1, 1])
    accuracy, frechet = [ax for ax in fig.axes if not ax.images]
    assert (accuracy.get_title(), frechet.get_title()) == ("conditional accuracy", "Fréchet distance to real")
    assert len(accuracy.patches) == 10 and accuracy.get_ylim() == (0.8, 1.0)  # down to the worst digit
    assert len(frechet.patches) == 20 and frechet.patches[9].get_height() == 9.0
    assert [text.get_text() for text in frechet.get_legend().get_texts()] == ["generated", "real vs real"]
    assert [subfigure._suptitle.get_text() for subfigure in fig.subfigs[0].subfigs] == ["generated", "real test digits"]
    unconditional = digit_plots.evaluation_figure(evaluation_result(conditional=False), generated, real)
    assert [ax.get_title() for ax in unconditional.axes if not ax.images] == ["Fréchet distance to real"]
    colour = digit_plots.evaluation_figure(evaluation_result(), np.tile(primaries()[None, :1], (10, 1, 1, 1, 1)), real)
    assert share_of(saved_pixels(colour, tmp_path / "evaluation.png", dpi=30), RED) > 0.01


def test_evaluation_figure_leaves_a_gap_where_a_digit_has_no_distance():
    fig = digit_plots.evaluation_figure(
        evaluation_result(missing=True), np.zeros((10, 1, 4, 4)), np.zeros((10, 1, 4, 4))
    )
    frechet = [ax for ax in fig.axes if not ax.images][-1]
    heights = [patch.get_height() for patch in frechet.patches]
    assert np.isnan(heights[0]) and np.isnan(heights[10 + 3]) and heights[1] == 1.0


# --- files -----------------------------------------------------------------------------------------


def full_frame_figure(width, height):
    """A figure whose content fills it: its tight bounding box is the figure plus the padding."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(primaries()[0], aspect="auto")
    ax.axis("off")
    return fig


@pytest.mark.parametrize("dpi", [40, 100])
def test_save_figure_writes_a_png_of_the_size_the_dpi_gives_and_closes_the_figure(tmp_path, dpi):
    fig = full_frame_figure(3, 2)
    path = plots.save_figure(fig, tmp_path / "sub" / "figure.png", dpi=dpi)
    assert path == tmp_path / "sub" / "figure.png" and not plt.fignum_exists(fig.number)
    picture = Image.open(path)
    pad = 2 * plt.rcParams["savefig.pad_inches"]
    assert picture.format == "PNG"
    assert picture.size == pytest.approx(((3 + pad) * dpi, (2 + pad) * dpi), abs=1)
    assert share_of(np.asarray(picture.convert("RGB")).astype(int), RED) > 0.5
    assert [item.name for item in path.parent.iterdir()] == ["figure.png"]  # no temporary left beside it


def test_save_figure_doubles_the_pixels_with_the_dpi(tmp_path):
    images = np.random.default_rng(7).random((2, 3, 6, 6))
    small = Image.open(plots.save_figure(plots.image_grid(images, title="t"), tmp_path / "small.png", dpi=40))
    large = Image.open(plots.save_figure(plots.image_grid(images, title="t"), tmp_path / "large.png", dpi=80))
    assert large.size == pytest.approx((2 * small.size[0], 2 * small.size[1]), abs=3)


def test_save_figure_leaves_the_old_file_when_saving_fails(tmp_path):
    target = tmp_path / "figure.nosuchformat"
    target.write_bytes(b"the previous figure")
    fig = full_frame_figure(1, 1)
    with pytest.raises(ValueError, match="nosuchformat"):
        plots.save_figure(fig, target)
    assert target.read_bytes() == b"the previous figure"
    assert [item.name for item in tmp_path.iterdir()] == ["figure.nosuchformat"]
    assert not plt.fignum_exists(fig.number)  # closed all the same


def test_save_gif_loops_forward_and_back_enlarged(tmp_path):
    frames = np.stack([np.full((3, 4), value) for value in (0.0, 0.5, 1.0)])
    path = plots.save_gif(frames, tmp_path / "walk.gif", frame_ms=80, scale=4)
    gif = Image.open(path)
    assert (gif.format, gif.size, gif.n_frames) == ("GIF", (16, 12), 4)  # 0, ½, 1, then ½ back
    assert gif.info["loop"] == 0 and gif.info["duration"] == 80
    levels = []
    for index in range(gif.n_frames):
        gif.seek(index)
        levels.append(int(np.asarray(gif.convert("L"))[0, 0]))
    assert levels == [0, 128, 255, 128]
    once = Image.open(plots.save_gif(frames, tmp_path / "once.gif", bounce=False))
    assert once.n_frames == 3
    colour = Image.open(plots.save_gif(primaries(2), tmp_path / "colour.gif", bounce=False)).convert("RGB")
    assert colour.getpixel((0, 0)) == RED
