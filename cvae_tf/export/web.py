"""``cvae-tf export RUN --web DIR``: a static folder whose page draws in the visitor's browser.

The folder holds the explorer page of ``cvae-tf serve`` (the same files, told to use the in-browser
backend), each run's drawing model as ONNX, ``models.json`` (what ``GET /models`` would give, with
each model's file and condition map), and onnxruntime-web's files. Any static file server can
host it; the page requests nothing outside it::

    DIR/index.html  DIR/static/explorer.js …  DIR/models.json  DIR/models/NAME.onnx  DIR/runtime/ort…
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import atomic_folder
from cvae_tf.export.formats import fresh, to_onnx
from cvae_tf.export.models import exportable
from cvae_tf.export.runtime import copy_runtime
from cvae_tf.serve.app import STATIC
from cvae_tf.serve.registry import run_folders

log = logging.getLogger("cvae_tf.export")
SERVED_BODY = 'data-backend="server"'


def export_web(runs: str | Path, output: str | Path, overwrite: bool = False) -> Path:
    """Write the page for the run ``runs`` (or every drawing run in the folder ``runs``) into ``output``."""
    output = fresh(output, overwrite)
    folders = run_folders(runs)
    exports = []
    for name, path in folders.items():
        try:
            exports.append(exportable(path, name))
        except RunError as err:  # in a folder of runs, one that draws nothing (condition models) is left out
            if len(folders) == 1:
                raise
            log.warning("leaving out %s: %s", path, err)
    if not exports:
        raise RunError(f"{runs}: no run with a decoder or generator to export")
    with atomic_folder(output) as folder:
        page = (STATIC / "index.html").read_text()
        if SERVED_BODY not in page:
            raise RuntimeError(f"{STATIC / 'index.html'} lacks {SERVED_BODY}; the page cannot be told its backend")
        shutil.copytree(STATIC, folder / "static", ignore=shutil.ignore_patterns("index.html"))
        (folder / "index.html").write_text(page.replace(SERVED_BODY, 'data-backend="web"'))
        copy_runtime(folder / "runtime")
        (folder / "models").mkdir()
        schemas = []
        for exported in exports:
            to_onnx(exported, folder / "models" / f"{exported.name}.onnx")
            schemas.append({**exported.schema, "file": f"models/{exported.name}.onnx", "encoding": exported.encoding})
        (folder / "models.json").write_text(json.dumps(schemas, indent=1))
    return output
