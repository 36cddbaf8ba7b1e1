"""Helpers shared by the test modules: synthetic faces and sketch pairs, tiny configs and runs, notebook
execution, PNG bytes, a Ctrl-C callback, the explorer page's strokes."""

import io
import os
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

from cvae_tf.core.config import RunConfig
from cvae_tf.core.layers import Sampling
from cvae_tf.core.saving import write_run
from cvae_tf.families.faces import data as faces

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class Interrupt(keras.callbacks.Callback):
    """Stops training like Ctrl-C at the end of batch ``batch`` of epoch ``epoch`` (both from 0)."""

    def __init__(self, epoch, batch=3):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def png_bytes(picture) -> bytes:
    """A uint8 array (or a PIL image) as PNG file bytes, as an upload sends them."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_pixels(content: bytes) -> np.ndarray:
    """The pixels of PNG file bytes."""
    return np.asarray(Image.open(io.BytesIO(content)))


# Pointer events as a mouse makes them on the explorer page's #sketch canvas: down, a zig-zag of moves, up.
DRAW_STROKES = """
const canvas = document.getElementById("sketch");
const box = canvas.getBoundingClientRect();
const send = (type, x, y) => canvas.dispatchEvent(new PointerEvent(type, {
  clientX: box.left + x * box.width, clientY: box.top + y * box.height, bubbles: true, pointerType: "mouse"}));
send("pointerdown", 0.2, 0.2);
for (let i = 1; i <= 20; i++) send("pointermove", 0.2 + 0.03 * i, 0.2 + (i % 2 ? 0.3 : 0.0) + 0.02 * i);
send("pointerup", 0.8, 0.6);
"""


def draws(driver) -> int:
    """How many pictures the explorer page has drawn (its body's ``data-draws``)."""
    from selenium.webdriver.common.by import By

    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-draws"))


# --- synthetic CelebA faces -------------------------------------------------------------------

ATTRIBUTES = [
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
]


def face(size, male: bool, seed: int) -> Image.Image:
    """A synthetic "face": a disc, blue for men and red for women, on a grey background."""
    width, height = size
    image = Image.new("RGB", size, (128, 128, 128))
    radius = width * (0.3 + 0.05 * (seed % 3))
    box = (width / 2 - radius, height * 0.55 - radius, width / 2 + radius, height * 0.55 + radius)
    ImageDraw.Draw(image).ellipse(box, fill=(40, 60, 220) if male else (220, 60, 40))
    return image


def attribute_rows(n: int) -> np.ndarray:
    """Seeded 1 / -1 values, with Male alternating so both sexes are present."""
    values = np.where(np.random.default_rng(0).random((n, len(ATTRIBUTES))) < 0.3, 1, -1)
    values[:, ATTRIBUTES.index("Male")] = np.where(np.arange(n) % 2 == 0, 1, -1)
    return values


def write_attributes(path, names, values, count=None) -> None:
    lines = [str(len(names) if count is None else count), " ".join(ATTRIBUTES) + " "]
    lines += [f"{name} " + " ".join(f"{v:2d}" for v in row) for name, row in zip(names, values)]
    path.write_text("\n".join(lines) + "\n")


def make_celeba(root, n=20, size=(89, 109), folder="images"):
    """A CelebA folder of ``n`` synthetic faces at ``size`` (width, height)."""
    (root / folder).mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    values = attribute_rows(n)
    for i, name in enumerate(names):
        face(size, values[i, ATTRIBUTES.index("Male")] == 1, i).save(root / folder / name, quality=95)
    write_attributes(root / faces.ATTRIBUTE_FILE, names, values)
    return root


# --- pix2pix pairs and config ---------------------------------------------------------------


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


def pix2pix_config(source, size=32, epochs=1):
    """A pix2pix config that trains in seconds: base 8, one residual block, batch 4."""
    config = RunConfig.for_family("pix2pix")
    config.data.source, config.data.image_size = str(source), [size, size]
    config.model.base_filters, config.model.residual_blocks, config.model.discriminator_filters = 8, 1, 8
    config.training.epochs, config.training.batch_size = epochs, 4
    return config


def write_vae_run(path, latent_dim=2):
    """An unconditional (family mnist_vae) run: the encoder takes only the image, the decoder only z."""
    image = keras.Input((28, 28, 1), name="image")
    hidden = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(image))
    z_mean, z_log_var = keras.layers.Dense(latent_dim)(hidden), keras.layers.Dense(latent_dim)(hidden)
    z = Sampling(seed=0, name="z")([z_mean, z_log_var])
    encoder = keras.Model(
        {"image": image}, {"z_mean": z_mean, "z_log_var": z_log_var, "z": z}, name="vae_encoder_model"
    )
    z_in = keras.Input((latent_dim,), name="z")
    pixels = keras.layers.Dense(784, activation="sigmoid")(z_in)
    decoder = keras.Model({"z": z_in}, keras.layers.Reshape((28, 28, 1))(pixels), name="vae_decoder_model")
    manifest = {"family": "mnist_vae", "config": {"model": {"family": "mnist_vae", "latent_dim": latent_dim}}}
    return write_run(path, {"encoder": encoder, "decoder": decoder}, manifest)


def execute_notebook(name, tmp_path, **parameters):
    output = tmp_path / f"{name}.out.ipynb"
    import papermill  # a notebook kernel's worth of imports, only for the notebook tests

    papermill.execute_notebook(
        NOTEBOOKS / f"{name}.ipynb",
        output,
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
    )
    return output


def missing_for_the_tests(message: str):
    """A tool the tests need is missing: a skip on a developer's machine, a failure under ``CI=true``,
    where a skipped test would pass a broken set-up."""
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)
