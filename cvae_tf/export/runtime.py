"""The browser runtime that exported pages load: onnxruntime-web's wasm build, installed from npm
by scripts/setup.sh (``npm ci`` in web/) and copied into every exported folder, so that a page
fetches nothing from outside its folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cvae_tf.core.errors import RunError

PACKAGE = Path(__file__).resolve().parents[2] / "web"  # package.json + package-lock.json
# The ES module, its loader and the single-threaded-capable SIMD wasm; the other builds are not needed.
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


def runtime_folder() -> Path:
    """onnxruntime-web's ``dist`` folder: $CVAE_TF_WEB_RUNTIME, else web/node_modules from setup.sh."""
    folder = Path(os.environ.get("CVAE_TF_WEB_RUNTIME") or PACKAGE / "node_modules" / "onnxruntime-web" / "dist")
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise RunError(
            f"{folder}: onnxruntime-web's files {missing} are missing; run scripts/setup.sh "
            "(npm ci in web/) or set CVAE_TF_WEB_RUNTIME to a folder holding them"
        )
    return folder


def copy_runtime(target: Path) -> None:
    source = runtime_folder()
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(source / name, target / name)
