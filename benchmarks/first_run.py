"""A new user's first run: the README's main command in a fresh clone, timed, then scored.

    python benchmarks/first_run.py --eval-data ../shared/data/mnist --judge runs/judge/classify_nums

1. ``git clone`` this repository (``--repo``, default: the one this script lies in, its committed
   HEAD) into a fresh temporary directory.
2. Reads the main command from the clone's README (the ``cvae-tf train … && cvae-tf generate …``
   line under "The two commands") and runs it there, timed. The ``python -m pip install -e``
   step is skipped: the current Python environment is reused, with ``PYTHONPATH`` pointing at
   the clone so that the clone's code, not an installed copy, runs. (With ``--install`` the
   pip step runs too, into the current environment, and is timed with the rest.)
3. Scores the run with ``cvae-tf evaluate RUN --data EVAL_DATA --classifier JUDGE``: a judge
   trained on full MNIST (trained into JUDGE first if absent, ~6 epochs) and the real MNIST
   test set as the reference, since the 500 test digits of the sample are too few for it.

Prints the wall time and the scores, as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main_command(readme: str) -> str:
    """The README's main command: the fenced line that trains and generates."""
    for line in readme.splitlines():
        if "cvae-tf train" in line and "cvae-tf generate" in line:
            return line.strip()
    raise SystemExit("README.md has no line with 'cvae-tf train … && cvae-tf generate …'")


def without_install(command: str) -> str:
    parts = [part.strip() for part in command.split("&&")]
    return " && ".join(part for part in parts if not re.match(r"(python -m )?pip install", part))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=str(REPO), help="repository to clone (default: this one)")
    parser.add_argument("--eval-data", default=str(REPO.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--judge", type=Path, default=REPO / "runs" / "judge" / "classify_nums")
    parser.add_argument("--install", action="store_true", help="run the README's pip install step too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone and print where it is")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="cvae_first_run_"))
    clone = workdir / "cvae_tf"
    subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
    command = main_command((clone / "README.md").read_text())
    if not args.install:
        command = without_install(command)
    env = {**os.environ, "PYTHONPATH": str(clone), "TF_CPP_MIN_LOG_LEVEL": "2"}
    print("$", command, flush=True)
    started = time.perf_counter()
    subprocess.run(command, shell=True, cwd=clone, env=env, check=True)
    seconds = time.perf_counter() - started

    run_dir = clone / "saved_models" / "mnist_cvae"
    evaluate = [
        "cvae-tf",
        "evaluate",
        str(run_dir),
        "--data",
        str(Path(args.eval_data).resolve()) if Path(args.eval_data).exists() else args.eval_data,  # runs in the clone
        "--classifier",
        str(args.judge.resolve()),
    ]
    print("$", " ".join(evaluate), flush=True)
    subprocess.run(evaluate, cwd=clone, env=env, check=True)
    result = json.loads((run_dir / "evaluation.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary = result["summary"]
    report = {
        "command": command,
        "wall_seconds": round(seconds, 1),
        "train_seconds": manifest["seconds_this_session"],
        "epochs": manifest["epochs_completed"],
        "batch_size": manifest["config"]["training"]["batch_size"],
        "train_images": manifest["data"]["train"],
        "conditional_accuracy": round(summary["conditional_accuracy"], 4),
        "diversity_ratio": round(summary["diversity_ratio"], 4),
        "frechet_ratio": round(summary["frechet_ratio"], 3),
        "grey_share": round(summary["grey_share"], 4),
        "grey_share_real": round(summary["grey_share_real"], 4),
        "test_kl": round(summary["test_kl"], 3),
        "sweep_accuracy": round(result["thickness"]["accuracy_over_sweep"], 4),
        "worst_correlation": round(summary["worst_correlation"], 3),
        "judge_test_accuracy": round(result["classifier_test_accuracy"]["overall"], 4),
    }
    if args.keep:
        report["clone"] = str(clone)
    else:
        subprocess.run(["rm", "-rf", str(workdir)], check=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
