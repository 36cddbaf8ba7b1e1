"""The explorer page's drawing canvas in headless Chromium: strokes drawn with pointer events on
#sketch are sent to POST /translate and the picture comes back into #digit-image (a tiny pix2pix run)."""

import base64
import io

import httpx
import numpy as np
import pytest
from helpers import DRAW_STROKES, draws
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cvae_tf.serve.browser import open_page

pytestmark = pytest.mark.usefixtures("chromium")  # skips without a browser, fails under CI=true

SIZE = 32

DARK_PIXELS = """
const canvas = document.getElementById("sketch");
const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
let dark = 0;
for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
return dark;
"""

# A canvas's pixels, or an <img>'s as decoded, as a PNG data URL.
CANVAS_PNG = 'return document.getElementById("sketch").toDataURL("image/png");'
SHOWN_PNG = """
const img = document.getElementById("digit-image");
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
canvas.getContext("2d").drawImage(img, 0, 0);
return canvas.toDataURL("image/png");
"""


def data_url_bytes(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.int32)


@pytest.fixture(scope="module")
def page(sketch_run, models_folder, tmp_path_factory):
    with open_page(models_folder(sketch2photo=sketch_run), tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def translated_by_the_server(driver) -> np.ndarray:
    """What POST /translate answers for the canvas as it is now, asked directly."""
    sketch = data_url_bytes(driver.execute_script(CANVAS_PNG))
    with httpx.Client(base_url=driver.current_url, timeout=60) as client:
        answer = client.post("/translate", files={"file": ("s.png", sketch)}, data={"model": "sketch2photo"})
    assert answer.status_code == 200, answer.text
    return pixels(answer.content)


def test_strokes_on_the_canvas_come_back_as_a_picture(page):
    WebDriverWait(page, 60).until(lambda d: draws(d) >= 1)  # the blank canvas is translated on load
    assert page.find_element(By.ID, "sketch-field").is_displayed()
    assert not page.find_element(By.ID, "latent-field").is_displayed()
    WebDriverWait(page, 30).until(lambda d: d.execute_script("return document.getElementById('digit-image').complete"))
    blank = pixels(data_url_bytes(page.execute_script(SHOWN_PNG)))
    np.testing.assert_array_equal(blank, translated_by_the_server(page))
    before = draws(page)
    page.execute_script(DRAW_STROKES)
    assert page.execute_script(DARK_PIXELS) > 100  # the strokes are on the canvas, dark on white
    WebDriverWait(page, 30).until(lambda d: draws(d) > before)
    WebDriverWait(page, 30).until(lambda d: d.execute_script("return document.getElementById('digit-image').complete"))
    image = page.find_element(By.ID, "digit-image")
    assert image.get_attribute("naturalWidth") == str(SIZE) and image.get_attribute("naturalHeight") == str(SIZE)
    shown = pixels(data_url_bytes(page.execute_script(SHOWN_PNG)))
    np.testing.assert_array_equal(shown, translated_by_the_server(page))  # the page shows /translate's answer
    assert not np.array_equal(shown, blank)  # … for the strokes, not the blank canvas
    assert page.find_element(By.ID, "status").text.startswith("drawn in")


def test_clear_empties_the_canvas_and_translates_again(page):
    WebDriverWait(page, 60).until(lambda d: draws(d) >= 1)
    page.execute_script(DRAW_STROKES)
    WebDriverWait(page, 30).until(lambda d: d.execute_script(DARK_PIXELS) > 0)
    before = draws(page)
    page.find_element(By.ID, "clear").click()
    WebDriverWait(page, 30).until(lambda d: draws(d) > before)
    assert page.execute_script(DARK_PIXELS) == 0
    assert not page.find_element(By.ID, "status").text.startswith("error")
