"""The explorer page in headless Chromium (Debian's chromium + chromedriver, installed by scripts/setup.sh)."""

import pytest
from helpers import draws
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from cvae_tf.serve.browser import open_page

pytestmark = pytest.mark.usefixtures("chromium")  # skips without a browser, fails under CI=true


@pytest.fixture(scope="module")
def browser(tiny_run, models_folder, tmp_path_factory):
    with open_page(models_folder(digits=tiny_run[0]), tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def redrawn_after(driver, action) -> bytes:
    """Do ``action``, wait for the page's next drawing, and return the digit as the screen shows it."""
    before = draws(driver)
    action()
    WebDriverWait(driver, 30).until(lambda d: draws(d) > before)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.getElementById('digit-image').complete")
    )
    return driver.find_element(By.ID, "digit-image").screenshot_as_png


def test_page_loads_and_draws_a_digit(browser):
    WebDriverWait(browser, 60).until(lambda d: draws(d) >= 1)
    assert browser.title == "cvae_tf explorer"
    image = browser.find_element(By.ID, "digit-image")
    assert image.get_attribute("naturalWidth") == "28" and image.size["width"] == 280
    assert browser.find_element(By.ID, "status").text.startswith("drawn in")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#latents input[type=range]")) == 4


def test_moving_sliders_and_choosing_a_digit_change_the_image(browser):
    WebDriverWait(browser, 60).until(lambda d: draws(d) >= 1)
    shown = browser.find_element(By.ID, "digit-image").screenshot_as_png
    thickness = browser.find_element(By.ID, "white")
    bold = redrawn_after(browser, lambda: thickness.send_keys(*[Keys.ARROW_RIGHT] * 20))
    assert bold != shown
    assert browser.find_element(By.ID, "white-value").text == "1.00"
    latent = browser.find_element(By.ID, "z0")
    moved = redrawn_after(browser, lambda: latent.send_keys(*[Keys.ARROW_LEFT] * 30))
    assert moved != bold
    other_digit = redrawn_after(browser, lambda: browser.find_element(By.ID, "digit-0").click())
    assert other_digit != moved
    assert browser.find_element(By.ID, "digit-0").get_attribute("aria-checked") == "true"


def test_new_random_sample_button_draws_a_new_style(browser):
    WebDriverWait(browser, 60).until(lambda d: draws(d) >= 1)

    def sliders():
        return [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "#latents input")]

    before_sliders = sliders()
    before = browser.find_element(By.ID, "digit-image").screenshot_as_png
    after = redrawn_after(browser, lambda: browser.find_element(By.ID, "resample").click())
    assert after != before and sliders() != before_sliders
    assert not browser.find_element(By.ID, "status").text.startswith("error")


# --- a face model: an upload re-drawn under the sliders ----------------------------------------


@pytest.fixture(scope="module")
def face_page(face_runs, models_folder, tmp_path_factory):
    with open_page(models_folder(faces=face_runs / "faces"), tmp_path_factory.mktemp("chromium_faces")) as driver:
        yield driver


def redraws(driver) -> int:
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-redraws"))


def test_an_uploaded_face_is_reconstructed_and_redrawn_under_the_sliders(face_page, tmp_path):
    from helpers import face

    WebDriverWait(face_page, 60).until(lambda d: draws(d) >= 1)
    row = face_page.find_element(By.ID, "redrawn-image")
    assert face_page.find_element(By.ID, "upload-field").is_displayed() and not row.is_displayed()
    picture = tmp_path / "face.png"
    face((89, 109), male=True, seed=0).save(picture)
    face_page.find_element(By.ID, "face-upload").send_keys(str(picture))
    WebDriverWait(face_page, 30).until(lambda d: redraws(d) >= 1)
    assert row.is_displayed() and row.get_attribute("naturalWidth") == str(3 * 16)  # upload, reconstruction, re-drawn
    assert face_page.find_element(By.ID, "upload-values").text.startswith("read from it: male=")
    before = row.screenshot_as_png
    face_page.execute_script(  # the slider let go at 0 (female): one input, one change
        "const s = document.getElementById('male'); s.value = 0;"
        "s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change'));"
    )
    WebDriverWait(face_page, 30).until(lambda d: redraws(d) >= 2)
    WebDriverWait(face_page, 30).until(
        lambda d: d.execute_script("return document.getElementById('redrawn-image').complete")
    )
    assert row.screenshot_as_png != before


# --- a model switch resets the page (digits → faces → pix2pix → digits) --------------------------

PARTS = ["digit-image", "samples", "samples-title", "latent-field", "resample", "sketch-field", "upload-field",
         "redrawn-image", "redrawn-title"]  # fmt: skip
CALLED_FOR = {  # the parts each kind of schema calls for
    "digits": {"digit-image", "samples", "samples-title", "latent-field", "resample"},
    "faces": {"digit-image", "samples", "samples-title", "latent-field", "resample", "upload-field"},
    "sketch": {"digit-image", "sketch-field"},
}
PIXELS = """
const img = document.getElementById(arguments[0]);
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
canvas.getContext("2d").drawImage(img, 0, 0);
return canvas.toDataURL("image/png");
"""


@pytest.fixture(scope="module")
def three_models(tiny_run, face_runs, sketch_run, models_folder, tmp_path_factory):
    folder = models_folder(digits=tiny_run[0], faces=face_runs / "faces", sketch=sketch_run)
    with open_page(folder, tmp_path_factory.mktemp("chromium_three")) as driver:
        WebDriverWait(driver, 60).until(lambda d: draws(d) >= 1)
        yield driver


def pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), np.int32)


def shown(driver, element):
    import base64

    return pixels(base64.b64decode(driver.execute_script(PIXELS, element).split(",", 1)[1]))


def switch(driver, name):
    driver.execute_script(
        "const s = document.getElementById('model'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        name,
    )
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-model") == name)
    WebDriverWait(driver, 60).until(
        lambda d: d.execute_script("return Number(document.body.dataset.ticket) === window.explorer.latest")
    )
    if name != "sketch":  # its strip of samples too
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.getElementById('samples').complete")
        )


def routes_answer(driver, client):
    """What the server's routes return for the page's current model, latent and values: (main, samples)."""
    import base64

    state = driver.execute_script(
        "const s = window.explorer; return [s.model.name, Boolean(s.model.input), s.values, s.z, s.seed];"
    )
    name, translator, values, z, seed = state
    if translator:
        sketch = base64.b64decode(driver.execute_script(
            "return document.getElementById('sketch').toDataURL('image/png')").split(",", 1)[1])  # fmt: skip
        answer = client.post("/translate", data={"model": name}, files={"file": ("sketch.png", sketch, "image/png")})
        return pixels(answer.content), None
    main = client.post("/generate", json={"model": name, **values, "z": z, "format": "png"})
    samples = client.post("/generate", json={"model": name, **values, "n": 8, "seed": seed + 1, "columns": 8})
    return pixels(main.content), pixels(samples.content)


def test_a_switch_shows_only_what_the_new_schema_calls_for_and_only_its_pictures(three_models, tmp_path):
    import httpx
    from helpers import face

    driver = three_models
    url = driver.current_url
    with httpx.Client(base_url=url, timeout=60) as client:
        for name in ["digits", "faces", "sketch", "digits"]:
            switch(driver, name)
            if name == "faces":  # an upload re-drawn: its row must not outlive the switch
                picture = tmp_path / "face.png"
                face((89, 109), male=True, seed=0).save(picture)
                driver.find_element(By.ID, "face-upload").send_keys(str(picture))
                WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "redrawn-image").is_displayed())
                assert driver.find_element(By.ID, "redrawn-image").is_displayed()
                called_for = CALLED_FOR[name] | {"redrawn-image", "redrawn-title"}
            else:
                called_for = CALLED_FOR[name]
            visible = {part for part in PARTS if driver.find_element(By.ID, part).is_displayed()}
            assert visible == called_for, name
            main, samples = routes_answer(driver, client)
            assert (shown(driver, "digit-image") == main).all(), name
            if samples is not None:
                assert (shown(driver, "samples") == samples).all(), name
            else:  # no stale strip kept, even hidden
                assert driver.find_element(By.ID, "samples").get_attribute("src") in (None, "")
            assert driver.find_element(By.ID, "status").text.startswith("drawn in")
            if name != "faces":  # no caption left from the re-drawn upload
                assert driver.find_element(By.ID, "upload-values").text == ""


NARROWEST = 360  # CSS pixels: the page's narrowest supported width (a small phone held upright)

FITS = """
const problems = [];
const inside = (inner, outer) => inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5
  && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
for (const legend of document.querySelectorAll("legend")) {
  if (!legend.offsetParent) continue;
  const own = legend.getBoundingClientRect(), box = legend.parentElement.getBoundingClientRect();
  if (!inside(own, box)) problems.push(legend.textContent);
  if (own.top < box.top + 1) problems.push("on the border: " + legend.textContent);
}
for (const caption of document.querySelectorAll("#view h2, #view p, .hint")) {
  if (!caption.offsetParent) continue;
  const parent = caption.parentElement.getBoundingClientRect();
  const overflows = caption.scrollWidth > caption.clientWidth + 1;
  if (!inside(caption.getBoundingClientRect(), parent) || overflows) problems.push(caption.textContent);
}
if (document.documentElement.scrollWidth > window.innerWidth) problems.push("the page scrolls sideways");
return problems;
"""


def test_legends_and_captions_fit_their_boxes_at_the_narrowest_width(three_models):
    driver = three_models
    metrics = {"width": NARROWEST, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        for name in ["faces", "sketch", "digits"]:
            switch(driver, name)
            assert driver.execute_script("return window.innerWidth") == NARROWEST
            assert driver.execute_script(FITS) == [], name
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
