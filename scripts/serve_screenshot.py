"""Screenshot of the explorer page for the README: the real server, a real run, headless Chromium.

python scripts/serve_screenshot.py /tmp/abl/default --output docs/serve_page.png
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from cvae_tf.serve.browser import open_page  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a run folder, or a folder of run folders")
    parser.add_argument("--output", default="docs/serve_page.png")
    parser.add_argument("--digit", type=int, default=7)
    args = parser.parse_args()
    with open_page(args.run) as driver:
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-draws")) >= 1)
        driver.find_element(By.ID, f"digit-{args.digit}").click()
        wait.until(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-draws")) >= 2)
        time.sleep(1)  # the samples strip
        driver.save_screenshot(args.output)
    print(args.output)


if __name__ == "__main__":
    main()
