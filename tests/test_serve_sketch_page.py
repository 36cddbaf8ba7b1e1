"""The explorer page's drawing canvas in headless Chromium: strokes drawn with pointer events on
#sketch are sent to POST /translate and the picture comes back into #digit-image (a tiny pix2pix run)."""

import pytest
from test_pix2pix_family import tiny_config, write_pairs

from cvae_tf.core.runs import train
from cvae_tf.serve.browser import chromium_paths, open_page

pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra: pip install -e '.[dev]'")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = chromium_paths()
SIZE = 32

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="chromium / chromedriver not found: run scripts/setup.sh (apt-get install chromium chromium-driver)",
)

# Pointer events as a mouse makes them: down, a zig-zag of moves, up (page coordinates of the canvas).
DRAW_STROKES = """
const canvas = document.getElementById("sketch");
const box = canvas.getBoundingClientRect();
const send = (type, x, y) => canvas.dispatchEvent(new PointerEvent(type, {
  clientX: box.left + x * box.width, clientY: box.top + y * box.height, bubbles: true, pointerType: "mouse"}));
send("pointerdown", 0.2, 0.2);
for (let i = 1; i <= 20; i++) send("pointermove", 0.2 + 0.03 * i, 0.2 + (i % 2 ? 0.3 : 0.0) + 0.02 * i);
send("pointerup", 0.8, 0.6);
"""

DARK_PIXELS = """
const canvas = document.getElementById("sketch");
const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
let dark = 0;
for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
return dark;
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    pairs = tmp_path_factory.mktemp("pairs")
    write_pairs(pairs / "train", 4, SIZE)
    write_pairs(pairs / "test", 2, SIZE, seed=1)
    config = tiny_config(pairs, SIZE)
    models = tmp_path_factory.mktemp("page_models")
    train(config, models / "sketch2photo", verbose=0)
    with open_page(models, tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def draws(driver) -> int:
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-draws"))


def test_strokes_on_the_canvas_come_back_as_a_picture(page):
    WebDriverWait(page, 60).until(lambda d: draws(d) >= 1)  # the blank canvas is translated on load
    assert page.find_element(By.ID, "sketch-field").is_displayed()
    assert not page.find_element(By.ID, "latent-field").is_displayed()
    blank_source = page.find_element(By.ID, "digit-image").get_attribute("src")
    before = draws(page)
    page.execute_script(DRAW_STROKES)
    assert page.execute_script(DARK_PIXELS) > 100  # the strokes are on the canvas, dark on white
    WebDriverWait(page, 30).until(lambda d: draws(d) > before)
    WebDriverWait(page, 30).until(lambda d: d.execute_script("return document.getElementById('digit-image').complete"))
    image = page.find_element(By.ID, "digit-image")
    assert image.get_attribute("naturalWidth") == str(SIZE) and image.get_attribute("naturalHeight") == str(SIZE)
    assert image.get_attribute("src") != blank_source
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
