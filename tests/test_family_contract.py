"""The family contract from outside the package: a toy C-VAE on synthetic 16×16 colour shapes.

Its condition has two fields (hue in [0, 1], shape in {0, 1, 2}). It registers its data format,
condition kind and family through the public API, trains one epoch through the CLI's entry,
saves and reloads, and is served by field name: nothing in ``cvae_tf`` names it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import ClassVar

import httpx
import numpy as np
import pytest
from matplotlib.colors import hsv_to_rgb, rgb_to_hsv
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.core.conditions import Condition, ConditionField, register_condition
from cvae_tf.core.config import DataConfig
from cvae_tf.core.data import register_format
from cvae_tf.core.family import register_family
from cvae_tf.core.saving import SavedRun
from cvae_tf.families.vae.family import ConvVAE
from cvae_tf.serve.server import running_server

SIZE = 16
SHAPES = ("square", "disc", "bar")


def draw_shape(shape: int, hue: float) -> np.ndarray:
    """A uint8 (16, 16, 3) picture: one shape in one fully saturated hue on black."""
    y, x = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    mask = [np.maximum(abs(x), abs(y)) < 5, x**2 + y**2 < 36, abs(y) < 2.5][shape]
    colour = hsv_to_rgb([hue, 1.0, 1.0])
    return (mask[..., None] * colour * 255).round().astype(np.uint8)


@dataclass
class Split:
    images: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return len(self.images)


@dataclass
class Shapes:
    train: Split
    val: Split
    test: Split
    source: str = "synthetic"


@register_format("toy_shapes")
def load_shapes(data_config, seed):
    rng = np.random.default_rng(seed)

    def split(n):
        labels, hues = rng.integers(0, 3, n), rng.random(n)
        return Split(np.stack([draw_shape(s, h) for s, h in zip(labels, hues)]), labels)

    return Shapes(split(256), split(64), split(64))


@register_condition
class HueShape(Condition):
    kind = "toy_hue_shape"
    fields = (
        ConditionField("hue", "number", 0.0, 1.0, 0.5, "colour around the hue circle"),
        ConditionField("shape", "integer", 0, 2, None, "0 square, 1 disc, 2 bar"),
    )
    class_field = "shape"
    size = 4

    def vectors(self, n, **values):
        values = self.checked_values(n, values)
        return np.concatenate([values["hue"][:, None], np.eye(3, dtype=np.float32)[values["shape"]]], axis=1)

    def values_of(self, images, labels=None):
        images = np.asarray(images, np.float32)
        images = images / 255.0 if images.max() > 1 else images
        lit = images.max(axis=-1, keepdims=True) > 0.5
        mean = (images * lit).sum(axis=(1, 2)) / np.maximum(lit.sum(axis=(1, 2)), 1)
        return {"hue": rgb_to_hsv(np.clip(mean, 0, 1))[:, 0], "shape": np.asarray(labels)}

    def of_images(self, images, labels=None):
        return self.vectors(len(images), **self.values_of(images, labels))

    def to_dict(self):
        return {}

    @classmethod
    def from_dict(cls, data, folder=None):
        return cls()


@dataclass
class ShapesData(DataConfig):
    format: str = "toy_shapes"
    image_size: list = field(default_factory=lambda: [SIZE, SIZE])
    channels: int = 3


class ShapesCVAE(ConvVAE):
    name = "toy_shapes_cvae"
    aliases = ()
    renamed_from = ()
    description = "toy: coloured shapes by hue and shape"
    data_config = ShapesData
    prefix = "toy"
    condition_size: ClassVar[int] = 4

    def fit_condition(self, config, data):
        return HueShape()


register_family(ShapesCVAE())


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("toy") / "toy"
    argv = ["train", "toy_shapes_cvae", "--output", str(output), "--epochs", "1", "--quiet"]
    assert main([*argv, "--set", "model.filters=[8, 16]", "--set", "training.batch_size=32"]) == 0
    return output


def test_the_toy_family_trains_saves_and_reloads_through_the_cli_entry(toy_run):
    run = SavedRun.open(toy_run)
    assert run.manifest["family"] == "toy_shapes_cvae" and run.manifest["epochs_completed"] == 1
    assert isinstance(run.condition, HueShape)
    assert run.manifest["models"]["decoder"] == "toy_decoder_model"
    generator = run.family.inference(run)
    images, z = generator.generate(3, seed=1, hue=[0.0, 0.4, 0.8], shape=2)
    assert images.shape == (3, SIZE, SIZE, 3) and z.shape == (3, 8)
    again = run.family.inference(SavedRun.open(toy_run)).generate(3, seed=1, hue=[0.0, 0.4, 0.8], shape=2)[0]
    np.testing.assert_allclose(again, images, atol=1e-6)  # reloaded, the same drawing
    with pytest.raises(ValueError, match="needs 'shape'"):
        generator.generate(1, hue=0.3)


def test_the_server_lists_the_toy_schema_and_draws_it_by_field_name(toy_run):
    with running_server(toy_run) as url, httpx.Client(base_url=url, timeout=60) as client:
        (info,) = client.get("/models").json()
        assert info["kind"] == "toy_shapes_cvae" and info["channels"] == 3 and info["image_shape"] == [SIZE, SIZE]
        assert [(f["name"], f["type"]) for f in info["conditions"]] == [("hue", "number"), ("shape", "integer")]
        answer = client.post("/generate", json={"model": "toy", "hue": 0.3, "shape": 1, "n": 4, "columns": 4})
        assert answer.status_code == 200
        assert Image.open(io.BytesIO(answer.content)).mode == "RGB"
        assert Image.open(io.BytesIO(answer.content)).size == (4 * SIZE, SIZE)
        out_of_range = client.post("/generate", json={"model": "toy", "hue": 1.5, "shape": 1})
        assert out_of_range.status_code == 422
        schema = client.get("/openapi.json").json()["components"]["schemas"]["GenerateRequest"]["properties"]
        assert {"hue", "shape"} <= set(schema) and "digit" not in schema


def test_the_page_builds_the_toy_controls_in_chromium(chromium, toy_run, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from cvae_tf.serve.browser import open_page

    with open_page(toy_run, tmp_path / "chromium") as driver:
        drawn = lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-draws")) >= 1  # noqa: E731
        WebDriverWait(driver, 60).until(drawn)
        assert [b.text for b in driver.find_elements(By.CSS_SELECTOR, "[id^=shape-]")] == ["0", "1", "2"]
        assert driver.find_element(By.ID, "hue").get_attribute("type") == "range"
        assert driver.find_element(By.ID, "digit-image").get_attribute("naturalWidth") == str(SIZE)
        assert not driver.find_element(By.ID, "status").text.startswith("error")
