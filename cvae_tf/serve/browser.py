"""Debian's headless Chromium through selenium, for the page test and the README screenshot.

Selenium is a dev dependency, imported only when a browser is asked for.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager

from cvae_tf.serve.server import running_server

# No sandbox (CI runs as root) and no background networking: the machines have no network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_paths() -> tuple[str | None, str | None]:
    """(chromium, chromedriver) as found on PATH; None for a missing one."""
    return shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")


def headless_chromium(width: int = 1000, height: int = 720, user_data_dir=None, log_network: bool = False):
    """A selenium driver for Debian's chromium with the flags above; ``log_network`` keeps the DevTools
    performance log (``driver.get_log("performance")``: every request the page makes)."""
    from selenium import webdriver

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    if log_network:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.binary_location = browser
    extra = [f"--window-size={width},{height}"]
    if user_data_dir is not None:
        extra.append(f"--user-data-dir={user_data_dir}")
    for flag in CHROMIUM_FLAGS + extra:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


@contextmanager
def open_page(models_dir, user_data_dir=None, **window):
    """The explorer page of ``cvae-tf serve models_dir`` in headless Chromium: yields the driver,
    then closes the browser and stops the server."""
    with running_server(models_dir) as url:
        driver = headless_chromium(user_data_dir=user_data_dir, **window)
        try:
            driver.get(url)
            yield driver
        finally:
            driver.quit()
