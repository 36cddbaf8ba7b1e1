"""A static file server for an exported folder on loopback, as a host such as GitHub Pages serves it:
the page's ES modules as JavaScript and the runtime's wasm as ``application/wasm``."""

from __future__ import annotations

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict] = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def static_server(folder: str | Path, port: int = 0):
    """Serve ``folder`` on 127.0.0.1 (a free port unless ``port``); yields its URL, ending in '/'."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
