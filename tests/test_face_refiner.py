"""The face refiner through the runner: a pix2pix generator trained on a face C-VAE's reconstructions,
saved with the C-VAE in one run that generates, samples and evaluates on its own.

The PatchGAN needs faces of 32 × 32 at least, so these tests train their own three tiny runs
(condition models, C-VAE, refiner) on 60 synthetic CelebA faces rather than use ``face_runs``.
"""

import shutil

import numpy as np
import pandas as pd
import pytest

from cvae_tf.cli import main
from cvae_tf.config import RunConfig
from cvae_tf.errors import RunError
from cvae_tf.inference import ImageTranslator, LatentGenerator
from cvae_tf.runs import train
from cvae_tf.saving import SavedRun

SIZE = [32, 32]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from test_data_faces import make_celeba

    root = tmp_path_factory.mktemp("celeba")
    make_celeba(root, n=60)
    runs = tmp_path_factory.mktemp("refiner_runs")
    configs = {name: RunConfig.for_family(name) for name in ("face_conditions", "face_cvae", "face_refiner")}
    for config in configs.values():
        config.data.source, config.data.image_size, config.data.eyes = str(root), SIZE, "narrow_eyes"
        config.training.epochs, config.training.batch_size = 2, 16
    configs["face_conditions"].model.widths = [8, 16]
    cvae = configs["face_cvae"].model
    cvae.condition_models, cvae.latent_dim, cvae.filters, cvae.dense_units = str(runs / "conditions"), 4, [8, 16], 32
    refiner = configs["face_refiner"].model
    refiner.cvae_run = str(runs / "faces")
    refiner.base_filters, refiner.residual_blocks, refiner.discriminator_filters = 4, 1, 8
    for name, folder in (("face_conditions", "conditions"), ("face_cvae", "faces"), ("face_refiner", "refined")):
        train(configs[name], runs / folder, verbose=0)
    return runs


def test_the_refiner_redraws_what_the_unchanged_decoder_draws(runs):
    cvae, refined = SavedRun.open(runs / "faces"), SavedRun.open(runs / "refined")
    assert set(refined.manifest["models"]) == {"encoder", "decoder", "refiner", "refiner_critic"}
    for mine, theirs in zip(refined.decoder.weights, cvae.decoder.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())  # the C-VAE is kept as it was
    log = pd.read_csv(runs / "refined" / "training_log.csv")
    assert len(log) == 2 and np.isfinite(log[["d_loss", "g_l1", "val_g_l1"]].to_numpy()).all()
    assert refined.manifest["monitor"] is None and refined.manifest["best_epoch"] == 2  # the last epoch is kept

    generator = refined.family.inference(refined)
    assert isinstance(generator, LatentGenerator) and generator.refiner is not None
    values = {"male": 1.0, "hair": 0.2, "mouth": 0.8, "eyes": 1.0}
    images, z = generator.generate(4, seed=0, **values)
    blurry, _ = cvae.family.inference(cvae).generate(4, z=z, **values)
    assert images.shape == blurry.shape == (4, 32, 32, 3) and 0 <= images.min() and images.max() <= 1
    np.testing.assert_allclose(images, ImageTranslator(refined.model("refiner")).translate(blurry), atol=1e-5)
    assert np.abs(images - blurry).mean() > 1e-3  # residual: it starts as the identity


def test_a_copied_refiner_run_samples_generates_and_evaluates_alone(runs, tmp_path):
    moved = tmp_path / "refined"
    shutil.copytree(runs / "refined", moved)
    output = tmp_path / "faces.npz"
    assert main(["sample", str(moved), "--n", "10", "--output", str(output)]) == 0
    assert np.load(output)["images"].shape == (10, 32, 32, 3)
    picture = tmp_path / "test_output.png"
    assert main(["generate", str(moved), "--output", str(picture), "--condition", "male=0", "eyes=0"]) == 0
    assert picture.stat().st_size > 0
    assert main(["evaluate", str(moved), "--output", str(tmp_path)]) == 0
    assert (tmp_path / "evaluation.json").exists()


def test_the_refiner_learns_from_the_posterior_mean_or_a_sample_of_it(runs):
    from cvae_tf.families.base import get_family

    default = RunConfig.for_family("face_refiner").model
    assert (default.inputs, default.upsampling, default.residual) == ("mean", "resize", True)
    assert RunConfig.for_family("face_refiner").training.lambda_l1 == 3.0
    config = RunConfig.from_dict(SavedRun.open(runs / "refined").manifest["config"])
    layers = {layer.name for layer in SavedRun.open(runs / "refined").model("refiner").layers}
    assert {"u1_resize", "picture_plus_change"} <= layers  # the defaults, saved and reloaded

    family = get_family("face_refiner")
    data = family.load_data(config)
    inputs = {}
    for choice in ("posterior", "mean"):
        config.model.inputs = choice
        batch = next(iter(family.prepare(config, data).val))
        inputs[choice] = batch["sketch"].numpy()
    cvae = SavedRun.open(runs / "faces")
    faces = (batch["image"].numpy() + 1) / 2
    generator = cvae.family.inference(cvae)
    np.testing.assert_allclose(
        inputs["mean"], generator.reconstruct(faces, generator.condition.of_images(faces)), atol=1e-5
    )
    assert np.abs(inputs["posterior"] - inputs["mean"]).mean() > 1e-3  # a sample, not the mean


def test_the_refiner_names_a_missing_or_wrong_cvae_run(runs, tmp_path):
    config = RunConfig.from_dict(SavedRun.open(runs / "refined").manifest["config"])
    config.model.cvae_run = str(tmp_path / "nowhere")
    with pytest.raises(RunError, match=r"model.cvae_run: .*nowhere.*train one first"):
        train(config, tmp_path / "a", verbose=0)
    config.model.cvae_run = str(runs / "conditions")
    with pytest.raises(RunError, match="is a face_conditions run; expected a face_cvae run"):
        train(config, tmp_path / "b", verbose=0)
    config.model.cvae_run, config.data.image_size = str(runs / "faces"), [64, 64]
    with pytest.raises(ValueError, match=r"data.image_size = \[64, 64\], but .* draws \[32, 32\] faces"):
        train(config, tmp_path / "c", verbose=0)


def test_the_server_draws_refined_faces_and_reconstructs_an_upload(runs):
    import io

    from fastapi.testclient import TestClient
    from PIL import Image

    from cvae_tf.serve.app import create_app
    from test_data_faces import face

    refined = SavedRun.open(runs / "refined")
    with TestClient(create_app(runs / "refined")) as client:
        (model,) = client.get("/models").json()
        assert model["name"] == "refined" and model["routes"] == ["generate", "reconstruct"]
        answer = client.post("/generate", json={"model": "refined", "n": 2, "seed": 3, "male": 0, "format": "json"})
        assert answer.status_code == 200, answer.text
        expected, _ = refined.family.inference(refined).generate(2, seed=3, male=0.0)
        np.testing.assert_allclose(np.array(answer.json()["images"]), expected, atol=2e-3)
        buffer = io.BytesIO()
        face((89, 109), male=True, seed=0).save(buffer, format="PNG")
        upload = {"file": ("face.png", buffer.getvalue(), "image/png")}
        png = client.post("/reconstruct", files=upload, data={"model": "refined", "changes": '{"male": 0}'})
        assert png.status_code == 200 and Image.open(io.BytesIO(png.content)).size == (3 * 32, 32)


def test_an_interrupted_refiner_resumes_and_keeps_its_last_epoch(runs, tmp_path):
    from test_training import Interrupt

    config = RunConfig.from_dict(SavedRun.open(runs / "refined").manifest["config"])
    output = tmp_path / "refined"
    with pytest.raises(KeyboardInterrupt):
        train(config, output, verbose=0, callbacks=[Interrupt(epoch=1, batch=1)])
    manifest = train(config, output, resume=True, verbose=0)
    assert manifest["epochs_completed"] == manifest["best_epoch"] == 2
    assert list(pd.read_csv(output / "training_log.csv")["epoch"]) == [0, 1]
