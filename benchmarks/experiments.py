"""One training experiment of the MNIST C-VAE, then its evaluation: the rows of RESULTS.md's tables.

    python benchmarks/experiments.py NAME --data sample --set training.batch_size=32 \\
        --steps 3000 --kl-warmup 500 --grey-ramp 300 600 \\
        --eval-data ../shared/data/mnist --judge runs/judge/classify_nums --out runs/experiments

Trains ``cvae_tf.runs.train(config)`` with the config's defaults plus ``--set section.key=value``
overrides (values are read as YAML: ``32``, ``cosine``, ``[32, 64]``, ``null``), and optionally
the opt-in schedules of ``cvae_tf.schedules``:

- ``--steps N``: a step budget; the epoch count becomes the smallest that gives N optimizer steps.
- ``--kl-warmup N`` / ``--beta B``: the KL term weighted by β, ramped from 0 over the first N steps.
- ``--white-scale S``: the white condition normalised by S·σ_d instead of σ_d (less clipping at
  c = ±1; the implied slope 2·S·σ_d is what ``evaluate`` compares with, since the scaled σ_d is saved).
- ``--grey-ramp START LENGTH [--grey-high H]``: k's factor ramped 0 → H over LENGTH steps from
  step START, instead of the on/off switch at ``grey_from_epoch``.

Then scores the run like ``cvae-tf evaluate RUN --data EVAL_DATA --classifier JUDGE`` and appends
one JSON line (settings, training seconds, summary) to ``--log``.
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
    parser.add_argument("--steps", type=int, help="step budget: epochs = ceil(steps / steps per epoch)")
    parser.add_argument("--kl-warmup", type=int, default=0, help="steps over which β ramps from 0")
    parser.add_argument("--beta", type=float, default=1.0, help="KL weight β after the warm-up")
    parser.add_argument("--grey-ramp", type=int, nargs=2, metavar=("START", "LENGTH"))
    parser.add_argument("--grey-high", type=float, default=1.0, help="k's factor at the ramp's end")
    parser.add_argument(
        "--white-scale",
        type=float,
        default=1.0,
        help="σ_d of the white condition times this (schedules.scaled_condition)",
    )
    parser.add_argument("--eval-data", default="../shared/data/mnist")
    parser.add_argument("--judge", type=Path, default=Path("runs/judge/classify_nums"))
    parser.add_argument("--out", type=Path, default=Path("runs/experiments"))
    parser.add_argument("--log", type=Path, default=Path("runs/experiments/experiments.jsonl"))
    parser.add_argument("--per-class", type=int, default=100)
    return parser.parse_args(argv)


def build_config(args):
    from cvae_tf.config import RunConfig

    raw = {"data": {"source": args.data}}
    for item in args.set:
        key, value = item.split("=", 1)
        section, name = key.split(".")
        raw.setdefault(section, {})[name] = yaml.safe_load(value)
    return RunConfig.from_dict(raw, origin="--set")


def main(argv=None):
    args = parse_args(argv)
    from cvae_tf import runs, schedules
    from cvae_tf.evaluate import Judge, evaluate_run, load_or_train_classifier, side_by_side_samples, write_report
    from cvae_tf.saving import SavedRun

    config = build_config(args)
    if args.steps:
        train_size = len(runs.load_data(config).train)
        config.training.epochs = schedules.epochs_for_steps(train_size, config.training.batch_size, args.steps)
    callbacks = []
    if args.kl_warmup or args.beta != 1.0:  # β set before every batch (at once when there is no warm-up)
        callbacks.append(schedules.KLWarmup(args.kl_warmup, args.beta))
    if args.white_scale != 1.0:
        runs.WhiteRatioCondition = schedules.scaled_condition(args.white_scale)  # prepare_data fits it
    if args.grey_ramp:
        callbacks.append(schedules.GreyWeightRamp(*args.grey_ramp, high=args.grey_high))

    run_dir = args.out / args.name
    started = time.perf_counter()
    manifest = runs.train(config, run_dir, resume=True, verbose=2, callbacks=callbacks)
    seconds = time.perf_counter() - started

    run = SavedRun.open(run_dir)
    data = runs.load_run_data(run, args.eval_data)
    judge = Judge(load_or_train_classifier(args.judge, data, verbose=2))
    result = evaluate_run(run, data, judge, per_class=args.per_class)
    write_report(result, side_by_side_samples(run, data), run_dir)
    record = {
        "name": args.name,
        "data": args.data,
        "set": args.set,
        "steps": args.steps,
        "epochs": config.training.epochs,
        "kl_warmup": args.kl_warmup,
        "beta": args.beta,
        "grey_ramp": args.grey_ramp,
        "grey_high": args.grey_high,
        "white_scale": args.white_scale,
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
