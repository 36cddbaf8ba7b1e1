"""The explorer page in headless Chromium (Debian's chromium + chromedriver, installed by scripts/setup.sh)."""

import pytest

from cvae_tf.serve.browser import chromium_paths, open_page

pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra: pip install -e '.[dev]'")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = chromium_paths()

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="chromium / chromedriver not found: run scripts/setup.sh (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tiny_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("page_models")
    (folder / "digits").symlink_to(tiny_run[0], target_is_directory=True)
    with open_page(folder, tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def draws(driver) -> int:
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-draws"))


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
    sliders = lambda: [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "#latents input")]  # noqa: E731
    before_sliders = sliders()
    before = browser.find_element(By.ID, "digit-image").screenshot_as_png
    after = redrawn_after(browser, lambda: browser.find_element(By.ID, "resample").click())
    assert after != before and sliders() != before_sliders
    assert not browser.find_element(By.ID, "status").text.startswith("error")


# --- a face model: an upload re-drawn under the sliders ----------------------------------------


@pytest.fixture(scope="module")
def face_page(face_runs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("face_page_models")
    (folder / "faces").symlink_to(face_runs / "faces", target_is_directory=True)
    with open_page(folder, tmp_path_factory.mktemp("chromium_faces")) as driver:
        yield driver


def redraws(driver) -> int:
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-redraws"))


def test_an_uploaded_face_is_reconstructed_and_redrawn_under_the_sliders(face_page, tmp_path):
    from test_data_faces import face

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
