"""pix2pix through the family contract: the runner trains it, the run reloads and translates,
and the server answers /translate with a picture (tiny models on synthetic pairs)."""

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from cvae_tf.core.config import RunConfig
from cvae_tf.core.runs import train
from cvae_tf.core.saving import SavedRun
from cvae_tf.serve.server import running_server


def write_pairs(folder, count, size=32, seed=0):
    """A|B files: a coloured block picture on the left, its outline (dark on white) on the right."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for index in range(count):
        top, left = rng.integers(2, size // 2, 2)
        photo = np.full((size, size, 3), 40, np.uint8)
        photo[top : top + 12, left : left + 12] = rng.integers(80, 255, 3)
        sketch = np.full((size, size, 3), 255, np.uint8)
        sketch[top : top + 12, [left, left + 11]] = 0
        sketch[[top, top + 11], left : left + 12] = 0
        Image.fromarray(np.concatenate([photo, sketch], axis=1)).save(folder / f"{index:03d}.png")


def tiny_config(source, size=32, epochs=1):
    """A pix2pix config that trains in seconds: base 8, one residual block, batch 4."""
    config = RunConfig.for_family("pix2pix")
    config.data.source, config.data.image_size = str(source), [size, size]
    config.model.base_filters, config.model.residual_blocks, config.model.discriminator_filters = 8, 1, 8
    config.training.epochs, config.training.batch_size = epochs, 4
    return config


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    write_pairs(root / "train", 8)
    write_pairs(root / "test", 4, seed=1)
    config = tiny_config(root, epochs=2)
    output = tmp_path_factory.mktemp("runs") / "sketch2photo"
    return output, train(config, output, verbose=0)


def test_the_runner_trains_pix2pix_and_logs_both_players(pix2pix_run):
    output, manifest = pix2pix_run
    assert manifest["family"] == "pix2pix" and manifest["monitor"] == "val_g_l1"
    assert {"d_loss", "g_gan", "g_l1", "val_g_l1"} <= set(manifest["final_metrics"])
    assert (manifest["data"]["train"], manifest["data"]["val"]) == (8, 4)
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
    buffer = io.BytesIO()
    Image.fromarray(sketch).save(buffer, format="PNG")
    with running_server(pix2pix_run[0]) as url, httpx.Client(base_url=url, timeout=60) as client:
        (info,) = client.get("/models").json()
        assert info["routes"] == ["translate"] and info["input"]["channels"] == 1
        answer = client.post("/translate", files={"file": ("s.png", buffer.getvalue())}, data={"model": "sketch2photo"})
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
