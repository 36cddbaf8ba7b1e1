"""Latency and throughput of ``POST /generate`` (one digit) over loopback: a benchmark, not a test.

Starts ``cvae-tf serve RUN`` in its own process on a free 127.0.0.1 port, then measures, from
this process:
  1. the latency of one request at a time (p50 / p99 over ``--requests``);
  2. requests per second with ``--clients`` concurrent clients (threads, each its own
     keep-alive connection), ``--load-requests`` in all;
and, for comparison, the model call alone in this process (no HTTP). Every loop is bounded
in count and in time (``--max-seconds`` per phase); only 127.0.0.1 is contacted.

    python benchmarks/serve_latency.py /tmp/abl/default
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(run: Path, port: int, timeout: float = 180) -> subprocess.Popen:
    command = [sys.executable, "-m", "cvae_tf.cli", "serve", str(run), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cvae-tf serve exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return process
        except httpx.TransportError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("cvae-tf serve did not answer in time")


def timed_requests(url: str, bodies: list[dict], max_seconds: float) -> list[float]:
    """Seconds per request, one at a time on one keep-alive connection, stopping at ``max_seconds``."""
    times = []
    stop = time.monotonic() + max_seconds
    with httpx.Client(base_url=url, timeout=30) as client:
        for body in bodies:
            started = time.perf_counter()
            client.post("/generate", json=body).raise_for_status()
            times.append(time.perf_counter() - started)
            if time.monotonic() > stop:
                break
    return times


def summary(times: list[float]) -> dict:
    ms = np.asarray(times) * 1000
    return {
        "requests": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder written by 'cvae-tf train'")
    parser.add_argument("--digit", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300, help="sequential requests for the latency (default 300)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--load-requests", type=int, default=1600, help="requests in all under load (default 1600)")
    parser.add_argument("--max-seconds", type=float, default=120, help="time limit of each phase (default 120)")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(args.run, port)
    try:
        name = httpx.get(f"{url}/health").json()["models"][0]
        body = lambda seed: {"model": name, "digit": args.digit, "n": 1, "seed": seed, "format": "png"}  # noqa: E731
        timed_requests(url, [body(seed) for seed in range(20)], args.max_seconds)  # warm-up
        sequential = summary(timed_requests(url, [body(seed) for seed in range(args.requests)], args.max_seconds))

        per_client = args.load_requests // args.clients
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            batches = [[body(c * per_client + i) for i in range(per_client)] for c in range(args.clients)]
            loaded = [
                t for times in pool.map(lambda b: timed_requests(url, b, args.max_seconds), batches) for t in times
            ]
        wall = time.perf_counter() - started
        under_load = {**summary(loaded), "clients": args.clients, "requests_per_s": round(len(loaded) / wall, 1)}
    finally:
        process.terminate()
        process.wait(timeout=30)

    from cvae_tf.core.saving import SavedRun
    from cvae_tf.serve.registry import served

    model = served(name, SavedRun.open(args.run))
    model.generate(1, 0, values={"digit": args.digit})
    calls = []
    for seed in range(args.requests):
        started = time.perf_counter()
        model.generate(1, seed, values={"digit": args.digit})
        calls.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "run": str(args.run),
                "cpus": os.cpu_count(),
                "one_at_a_time": sequential,
                "under_load": under_load,
                "model_call_only": summary(calls),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
