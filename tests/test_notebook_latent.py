"""Notebook 05 run top to bottom in its quick configuration: a trained C-VAE, a VAE trained there."""

import pytest
from helpers import execute_notebook as execute
from PIL import Image


@pytest.mark.notebook
def test_latent_notebook_draws_every_figure_for_both_models(tiny_run, tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    for i in range(10):
        Image.new("RGB", (89, 109), (20 * i, 100, 200)).save(faces / f"{i:06d}.jpg")
    figures = tmp_path / "figures"
    executed = execute(
        "05_latent_space",
        tmp_path,
        DATA="sample",
        CVAE_RUN_DIR=str(tiny_run[0]),
        VAE_RUN_DIR=str(tmp_path / "vae"),
        EPOCHS=1,
        OUTPUT_DIR=str(figures),
        TSNE_POINTS=200,
        STEPS=6,
        DATA_FOLDER=str(faces),
    )
    assert (tmp_path / "vae" / "vae_decoder_model.keras").exists()  # the VAE was trained in the notebook
    for model in ("cvae", "vae"):
        for name in (
            "reconstructions.png",
            "tsne.png",
            "walk_1_to_7_slerp.png",
            "walk_1_to_7_slerp.gif",
            "redraw_test.png",
        ):
            assert Image.open(figures / model / name).size[0] > 100, (model, name)
    assert Image.open(figures / "vae" / "manifold.png").size[0] > 400  # the VAE's latent is 2-D
    assert not (figures / "cvae" / "manifold.png").exists()  # the tiny C-VAE's is 8-D
    assert (figures / "cvae" / "redraw_my_digit.png").exists()
    text = executed.read_text()
    assert text.count("image/png") >= 10 and "image/gif" in text
    assert "train (8, 64, 64, 3)" in text  # the folder loader's summary for the 10 generated faces
