"""pix2pix through the family contract: the runner trains it, the run reloads and translates,
and the server answers /translate with a picture (tiny models on synthetic pairs)."""

import io

import httpx
import numpy as np
import pytest
from helpers import png_bytes
from PIL import Image

from cvae_tf.core.saving import SavedRun
from cvae_tf.serve.server import running_server


@pytest.fixture(scope="module")
def pix2pix_run(sketch_run):
    """The session's tiny pix2pix run (four 32 × 32 pairs to train on, six to validate) and its manifest."""
    return sketch_run, SavedRun.open(sketch_run).manifest


def test_the_runner_trains_pix2pix_and_logs_both_players(pix2pix_run):
    output, manifest = pix2pix_run
    assert manifest["family"] == "pix2pix" and manifest["monitor"] == "val_g_l1"
    assert {"d_loss", "g_gan", "g_l1", "val_g_l1"} <= set(manifest["final_metrics"])
    assert (manifest["data"]["train"], manifest["data"]["val"]) == (4, 6)
    run = SavedRun.open(output)
    assert run.manifest["models"] == {"generator": "pix2pix_generator", "discriminator": "pix2pix_discriminator"}


def test_the_saved_generator_translates_any_size_divisible_by_four(pix2pix_run):
    run = SavedRun.open(pix2pix_run[0])
    translator = run.family.inference(run)
    pictures = translator.translate(np.ones((2, 32, 48), np.float32))
    assert pictures.shape == (2, 32, 48, 3) and 0 <= pictures.min() and pictures.max() <= 1


def test_translate_route_answers_a_png_and_refuses_a_non_image(pix2pix_run):
    sketch = np.full((64, 64), 255, np.uint8)
    sketch[10:50, 30] = 0
    with running_server(pix2pix_run[0]) as url, httpx.Client(base_url=url, timeout=60) as client:
        (info,) = client.get("/models").json()
        assert info["routes"] == ["translate"] and info["input"]["channels"] == 1
        answer = client.post("/translate", files={"file": ("s.png", png_bytes(sketch))}, data={"model": "sketch2photo"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        picture = Image.open(io.BytesIO(answer.content))
        assert (picture.mode, picture.size) == ("RGB", (32, 32))
        bad = client.post("/translate", files={"file": ("x.txt", b"not a picture")}, data={"model": "sketch2photo"})
        assert bad.status_code == 415 and "x.txt" in bad.json()["detail"]
        wrong_route = client.post("/generate", json={"model": "sketch2photo"})
        assert wrong_route.status_code == 400 and "translate" in wrong_route.json()["detail"]


def test_cli_translate_writes_the_picture(pix2pix_run, tmp_path):
    from cvae_tf.cli import main

    sketch = tmp_path / "sketch.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(sketch)
    assert main(["translate", str(pix2pix_run[0]), "--input", str(sketch), "--output", str(tmp_path / "out.png")]) == 0
    assert Image.open(tmp_path / "out.png").size == (32, 32)
    assert main(["translate", str(pix2pix_run[0]), "--input", str(tmp_path / "nope.png"), "--output", "x.png"]) == 2


def test_the_paper_recipe_trains_within_a_time_budget_and_serves_its_input_multiple(tmp_path):
    """U-Net + cross-entropy GAN + λ = 100 against a spectrally normalised discriminator, through the
    runner, stopped by a budget shorter than one epoch after that epoch."""
    from helpers import pix2pix_config, write_pairs

    from cvae_tf.core.runs import train

    write_pairs(tmp_path / "pairs" / "train", 4, 32)
    write_pairs(tmp_path / "pairs" / "test", 2, 32, seed=1)
    config = pix2pix_config(tmp_path / "pairs", 32, epochs=5)
    config.model.generator, config.model.spectral_norm = "unet", True
    config.training.gan_loss, config.training.lambda_l1, config.training.time_budget_minutes = "bce", 100.0, 1e-4
    manifest = train(config, tmp_path / "run", verbose=0)
    assert manifest["epochs_completed"] == 1 and manifest["final_metrics"]["minutes"] > 0
    run = SavedRun.open(tmp_path / "run")
    translator = run.family.inference(run)
    assert translator.multiple_of == 32  # log2(32) = 5 halvings: a 1×1 bottleneck
    assert translator.translate(np.ones((1, 64, 32), np.float32)).shape == (1, 64, 32, 3)
    assert run.model("generator").get_layer("down5").output.shape[-1] == 8 * 8


def test_a_unet_depth_the_image_size_cannot_take_is_refused():
    from helpers import pix2pix_config

    from cvae_tf.families.pix2pix.family import unet_downs

    config = pix2pix_config("unused", 48)
    config.model.generator, config.model.unet_downs = "unet", 5
    with pytest.raises(ValueError, match=r"\[48, 48\] is not a multiple of 2\^5"):
        unet_downs(config)
    config.model.unet_downs = 4
    assert unet_downs(config) == 4
