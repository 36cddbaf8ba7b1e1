"""The exported web page against the served explorer, per run: a benchmark, not a test.

For each run folder under RUNS (or RUNS itself): the time of ``cvae-tf export RUN --web`` and the
folder's size; in a fresh headless Chromium (empty cache) on a static server on 127.0.0.1, the time
from navigation to the first image shown and the median time per image over ``--draws`` draws
(a latent slider moved, or the sketch cleared, each waited for until its picture is decoded).
Then the same for ``cvae-tf serve RUN`` on loopback: the served page's first image and draws, and
the route alone (POST /generate or /translate from Python, the PNG back).

    python benchmarks/web_export.py /tmp/bench/runs --draws 100
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from selenium.webdriver.support.ui import WebDriverWait

from cvae_tf.export import export_web
from cvae_tf.export.preview import static_server
from cvae_tf.serve.browser import headless_chromium
from cvae_tf.serve.registry import run_folders
from cvae_tf.serve.server import running_server

FIRST_IMAGE = """
const mark = performance.getEntriesByName("first-image")[0];
const status = document.getElementById("status").textContent;
return mark ? { value: mark.startTime } : status.startsWith("error") ? { error: status } : null;
"""
DRAW = """
const [i, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const model = window.explorer.model, image = document.getElementById("digit-image");
  const drawn = new Promise((resolve) => document.addEventListener("drawn", resolve, { once: true }));
  const started = performance.now();
  if (model.input) {
    document.getElementById("clear").click();
  } else {
    const slider = document.getElementById("z0");
    slider.value = ((i % 2 ? 1 : -1) * (0.5 + (i % 50) / 50)).toFixed(2);
    slider.dispatchEvent(new Event("input"));
  }
  await drawn;
  await image.decode();
  done({ value: performance.now() - started });
})().catch((error) => done({ error: String(error) }));
"""


def answer(url: str, result):
    """The value a page script reports, or its error as a RuntimeError naming the page."""
    if "error" in result:
        raise RuntimeError(f"{url}: {result['error']}")
    return result["value"]


def page_timings(url: str, draws: int) -> tuple[float, float]:
    """(ms to the first image, median ms per image) of the page at ``url`` in a fresh browser."""
    with tempfile.TemporaryDirectory() as profile:
        driver = headless_chromium(user_data_dir=profile)
        driver.set_script_timeout(110)  # below selenium's own 120 s limit on one command
        try:
            driver.get(url)
            first = answer(url, WebDriverWait(driver, 900, 0.05).until(lambda d: d.execute_script(FIRST_IMAGE)))
            times = [answer(url, driver.execute_async_script(DRAW, i)) for i in range(draws)]
            return first, statistics.median(times)
        finally:
            driver.quit()


def route_timing(url: str, schema: dict, draws: int) -> float:
    """Median ms of the page's request through the server alone (httpx on loopback, PNG returned)."""
    import io

    from PIL import Image

    with httpx.Client(base_url=url, timeout=120) as client:
        if schema["input"]:
            height, width = schema["image_shape"]
            buffer = io.BytesIO()
            Image.new("L", (width, height), 255).save(buffer, format="PNG")
            files = {"file": ("s.png", buffer.getvalue(), "image/png")}

            def send():
                return client.post("/translate", data={"model": schema["name"]}, files=files)

        else:
            values = {f["name"]: f["minimum"] if f["default"] is None else f["default"] for f in schema["conditions"]}
            body = {"model": schema["name"], **values, "z": [0.0] * schema["latent_dim"], "format": "png"}

            def send():
                return client.post("/generate", json=body)

        send().raise_for_status()
        times = []
        for _ in range(draws):
            started = time.perf_counter()
            send().raise_for_status()
            times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def folder_megabytes(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", type=Path, help="a run folder, or a folder of runs")
    parser.add_argument("--draws", type=int, default=100, help="images per page and per route (default 100)")
    args = parser.parse_args(argv)
    rows = []
    for name, path in run_folders(args.runs).items():
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            try:
                site = export_web(path, Path(scratch) / name)
            except Exception as err:  # noqa: BLE001  (a run that draws nothing: said, then the next one)
                print(f"{name}: not exported: {err}")
                continue
            seconds = time.perf_counter() - started
            size = folder_megabytes(site)
            model_size = folder_megabytes(site / "models")
            with static_server(site) as url:
                first, per_image = page_timings(url, args.draws)
        with running_server(path) as url:
            served_first, served_per_image = page_timings(url, args.draws)
            schema = httpx.get(url.rstrip("/") + "/models", timeout=60).json()[0]
            route = route_timing(url, schema, args.draws)
        rows.append(
            (name, schema["kind"], seconds, size, model_size, first, per_image, served_first, served_per_image, route)
        )
        print(f"{name}: done", flush=True)
    print(
        f"\n| run | family | export (s) | folder (MB) | of it the model (MB) | first image, web (ms) "
        f"| per image, web (ms, median of {args.draws}) | first image, served (ms) | per image, served page (ms) "
        "| per image, route alone (ms) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, kind, seconds, size, model_size, first, per_image, served_first, served_per_image, route in rows:
        print(
            f"| {name} | {kind} | {seconds:.1f} | {size:.1f} | {model_size:.2f} | {first:.0f} | {per_image:.1f} "
            f"| {served_first:.0f} | {served_per_image:.1f} | {route:.1f} |"
        )


if __name__ == "__main__":
    main()
