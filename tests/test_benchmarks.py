"""Every benchmark script still runs: each parses ``--help`` in a fresh process (so its imports of the
library resolve), and the cheap one runs a tiny measurement."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py"))


def run(script: Path, *arguments: str, timeout: int = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(
        [sys.executable, str(script), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BENCHMARKS.parent,
        env=environment,
        check=False,
    )


def test_the_benchmarks_folder_has_scripts():
    assert len(SCRIPTS) >= 5, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_each_benchmark_parses_its_help(script):
    done = run(script, "--help")
    assert done.returncode == 0, f"{script.name} --help failed:\n{done.stderr[-3000:]}"
    assert "usage:" in done.stdout


def test_the_pix2pix_speed_benchmark_measures_a_tiny_model():
    done = run(BENCHMARKS / "pix2pix_speed.py", "--steps", "1", "--configs", "32:8")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "32" in done.stdout
