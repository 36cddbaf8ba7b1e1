"""The screenshot of docs/web_export.md: an exported page (``cvae-tf export RUNS --web DIR``) opened from a
static server on 127.0.0.1 in headless Chromium, the digit 7 chosen, saved as a PNG.

    python scripts/web_screenshot.py DIR docs/web_export.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cvae_tf.export.preview import static_server
from cvae_tf.serve.browser import headless_chromium

SETTLED = "return Number(document.body.dataset.ticket) === window.explorer.latest && document.images[0].complete"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="a folder written by cvae-tf export --web")
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--digit", type=int, default=7, help="the digit button to press, if the model has one")
    args = parser.parse_args(argv)
    with static_server(args.site) as url:
        driver = headless_chromium(width=1000, height=720)
        try:
            driver.get(url)
            WebDriverWait(driver, 60).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-model"))
            for _ in range(2):  # the second press shows a warm draw's time, as a visitor's later ones are
                for button in driver.find_elements(By.ID, f"digit-{args.digit}"):
                    button.click()
                WebDriverWait(driver, 60).until(lambda d: d.execute_script(SETTLED))
                WebDriverWait(driver, 60).until(
                    lambda d: d.execute_script("return document.getElementById('samples').complete")
                )
            driver.save_screenshot(str(args.output))
        finally:
            driver.quit()
    print(args.output)


if __name__ == "__main__":
    main()
