"""Running the app on uvicorn: in the foreground (``cvae-tf serve``) or in a thread on a free loopback port.

The thread form is for tests, the benchmark and the README screenshot: a real HTTP server
that stops when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import uvicorn

from cvae_tf.serve.app import create_app
from cvae_tf.serve.limits import DEFAULT_MAX_BODY


def serve(models_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, max_body: int = DEFAULT_MAX_BODY) -> None:
    """Load the models, then answer on ``host:port`` until interrupted."""
    uvicorn.run(create_app(models_dir, max_body=max_body), host=host, port=port, log_level="info")


@contextlib.contextmanager
def running_server(models_dir: str | Path, max_body: int = DEFAULT_MAX_BODY, timeout: float = 120):
    """Yields the base URL of the app served on 127.0.0.1 at a free port; stops it on exit."""
    app = create_app(models_dir, max_body=max_body)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="cvae-tf-serve")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
