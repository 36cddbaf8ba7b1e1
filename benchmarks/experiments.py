"""One training experiment of the MNIST C-VAE, then its evaluation: the rows of RESULTS.md's tables.

    python benchmarks/experiments.py NAME --data sample --set training.batch_size=32 \\
        --eval-data ../shared/data/mnist --judge runs/judge/classify_nums --out runs/experiments

Trains the C-VAE with its config's defaults plus ``--set section.key=value`` overrides (values are
read as YAML: ``32``, ``cosine``, ``[32, 64]``, ``null``), then scores the run like
``cvae-tf evaluate RUN --data EVAL_DATA --classifier JUDGE`` and appends one JSON line (settings,
training seconds, summary) to ``--log``; a run already finished in ``--out`` is evaluated again, not
retrained. The judge is a ``classify_nums`` run (``cvae-tf train classify_nums --data EVAL_DATA --output JUDGE``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--data", default="sample")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--eval-data", default="../shared/data/mnist")
    parser.add_argument("--judge", type=Path, default=Path("runs/judge/classify_nums"))
    parser.add_argument("--out", type=Path, default=Path("runs/experiments"))
    parser.add_argument("--log", type=Path, default=Path("runs/experiments/experiments.jsonl"))
    parser.add_argument("--per-class", type=int, default=100)
    return parser.parse_args(argv)


def build_config(args):
    from cvae_tf.core.config import RunConfig

    raw = {"data": {"source": args.data}, "model": {"family": "mnist_cvae"}}
    for item in args.set:
        key, value = item.split("=", 1)
        section, name = key.split(".")
        raw.setdefault(section, {})[name] = yaml.safe_load(value)
    return RunConfig.from_dict(raw, origin="--set")


def main(argv=None):
    args = parse_args(argv)
    from cvae_tf.core import runs
    from cvae_tf.core.saving import MANIFEST, SavedRun
    from cvae_tf.families.mnist.evaluate import evaluate_run, load_judge, side_by_side_samples, write_report

    config = build_config(args)
    run_dir = args.out / args.name
    judge = load_judge(args.judge)  # before training: a missing judge is an error at once
    seconds = None  # a finished run is evaluated again, with the training time its manifest gives
    if not (run_dir / MANIFEST).exists():
        started = time.perf_counter()
        runs.train(config, run_dir, resume=True, verbose=2)
        seconds = time.perf_counter() - started

    run = SavedRun.open(run_dir)
    manifest = run.manifest
    seconds = manifest["seconds_this_session"] if seconds is None else seconds
    data = runs.load_run_data(run, args.eval_data)
    result = evaluate_run(run, data, judge, per_class=args.per_class)
    write_report(result, side_by_side_samples(run, data), run_dir)
    record = {
        "name": args.name,
        "data": args.data,
        "set": args.set,
        "epochs": config.training.epochs,
        "train_seconds": round(seconds, 1),
        "best_epoch": manifest["best_epoch"],
        "sweep_accuracy": result["thickness"]["accuracy_over_sweep"],
        **{key: round(float(value), 4) for key, value in result["summary"].items()},
        "per_digit_slope_ratio": [
            round(v["slope"] / v["implied_slope"], 3) for v in result["thickness"]["per_digit"].values()
        ],
        "per_digit_correlation": [round(v["correlation"], 3) for v in result["thickness"]["per_digit"].values()],
    }
    args.log.parent.mkdir(parents=True, exist_ok=True)
    with args.log.open("a") as log:
        log.write(json.dumps(record) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
