"""The digit C-VAE's candidate defaults, each trained with several seeds and judged against the targets.

    python benchmarks/digit_defaults.py --data ../shared/data/mnist --judge runs/judge/classify_nums \\
        --candidates default k035 --seeds 0 1 --epochs 10 --out runs/digit_defaults

Each candidate is a set of config overrides (``--set`` of ``experiments.py``); every (candidate,
seed) is one ``benchmarks/experiments.py`` run in its own process, appended to ``--out``'s
``experiments.jsonl`` (a finished run is reused, so a stopped sweep continues; ``--reevaluate`` scores
the finished runs again and appends their new rows, which the table reads instead of the old). The table printed
last gives each candidate's mean over its seeds and the spread between them, one column per
target. The judge is a ``classify_nums`` run (``cvae-tf train classify_nums --data DATA --output JUDGE``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

# Each candidate: config overrides on top of the digit C-VAE's defaults (widths 24/48, condition maps, batch 128,
# k = 0.35). WIDE gives back widths 32/64; NARROW the smaller model that the first candidates changed one thing
# of: widths 16/32, the condition at the decoder's input only, batch 256, k = 0.4.
WIDE = ["model.filters=[32, 64]"]
NARROW = [
    "model.filters=[16, 32]",
    "model.condition_maps=false",
    "training.batch_size=256",
    "training.grey_weight=0.4",
]
CANDIDATES = {
    "default": [],
    "cosine": ["training.lr_schedule=cosine"],
    "lr2e3_cosine": ["training.learning_rate=0.002", "training.lr_schedule=cosine"],
    "beta08": ["training.kl_weight=0.8"],
    "widths32_64": WIDE,
    "widths32_64_k0375": [*WIDE, "training.grey_weight=0.375"],
    "widths32_64_k040": [*WIDE, "training.grey_weight=0.4"],
    "widths32_64_batch256_k040": [*WIDE, "training.batch_size=256", "training.grey_weight=0.4"],
    "narrow": NARROW,
    "narrow_k050": [*NARROW, "training.grey_weight=0.5"],
    "narrow_k035": [*NARROW, "training.grey_weight=0.35"],
    "narrow_spread11": [*NARROW, "model.white_spread=1.1"],
    "narrow_beta12": [*NARROW, "training.kl_weight=1.2"],
    "narrow_k035_beta12": [*NARROW, "training.grey_weight=0.35", "training.kl_weight=1.2"],
    "narrow_latent40": [*NARROW, "model.latent_dim=40"],
    "narrow_latent40_k035": [*NARROW, "model.latent_dim=40", "training.grey_weight=0.35"],
    "narrow_lr2e3": [*NARROW, "training.learning_rate=0.002"],
    "narrow_cosine": [*NARROW, "training.lr_schedule=cosine"],
    "narrow_lr2e3_cosine": [*NARROW, "training.learning_rate=0.002", "training.lr_schedule=cosine"],
    "narrow_batch128": [*NARROW, "training.batch_size=128"],
    "narrow_bce": [*NARROW, "training.reconstruction=bce"],
    "narrow_refine": [*NARROW, "model.refine=true"],
    "narrow_wide": [*NARROW, *WIDE],
    "narrow_maps": [*NARROW, "model.condition_maps=true"],
    "narrow_maps_batch128": [*NARROW, "model.condition_maps=true", "training.batch_size=128"],
    "narrow_maps_k035": [*NARROW, "model.condition_maps=true", "training.grey_weight=0.35"],
}
# (column, summary key, bound, "min" or "max" or "near": what the target asks of it)
COLUMNS = [
    ("cond. acc.", "conditional_accuracy", 0.995, "min"),
    ("sweep acc.", "sweep_accuracy", 0.985, "min"),
    ("grey share error", "grey_share_error", 0.10, "max"),
    ("Fréchet ratio", "frechet_ratio", 3.0, "max"),
    ("diversity", "diversity_ratio", 0.90, "min"),
    ("thickness r (worst)", "worst_correlation", 0.98, "min"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--judge", type=Path, default=Path("runs/judge/classify_nums"))
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("runs/digit_defaults"))
    parser.add_argument("--report", action="store_true", help="print the table of the finished runs; train nothing")
    parser.add_argument(
        "--reevaluate", action="store_true", help="evaluate the finished runs again (after the evaluation changed)"
    )
    return parser.parse_args(argv)


def run_name(candidate: str, seed: int, epochs: int) -> str:
    return f"{candidate}_e{epochs}_s{seed}"


def finished(log: Path) -> dict:
    """The records already in the sweep's log, by run name."""
    if not log.exists():
        return {}
    return {record["name"]: record for record in map(json.loads, log.read_text().splitlines())}


def table(records: dict, candidates, seeds, epochs) -> str:
    """One row per candidate: the mean over its seeds, the spread (max − min) in brackets, and
    how many of its columns meet their target."""
    head = "| candidate | overrides | " + " | ".join(name for name, *_ in COLUMNS) + " | targets met |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for candidate in candidates:
        rows = [records[name] for seed in seeds if (name := run_name(candidate, seed, epochs)) in records]
        if not rows:
            continue
        cells, met = [], 0
        for _, key, bound, kind in COLUMNS:
            values = np.array([row[key] for row in rows], float)
            mean = values.mean()
            met += bool(mean >= bound if kind == "min" else mean <= bound)
            cells.append(f"{mean:.4g} (±{(values.max() - values.min()) / 2:.2g})")
        overrides = ", ".join(CANDIDATES[candidate]) or "—"
        lines.append(f"| {candidate} | {overrides} | " + " | ".join(cells) + f" | {met}/{len(COLUMNS)} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    log = args.out / "experiments.jsonl"
    experiment = Path(__file__).with_name("experiments.py")
    for candidate in [] if args.report else args.candidates:
        for seed in args.seeds:
            name = run_name(candidate, seed, args.epochs)
            if (name in finished(log)) != args.reevaluate:  # train what is missing, or score again what is done
                continue
            sets = [*CANDIDATES[candidate], f"training.seed={seed}", f"training.epochs={args.epochs}"]
            command = [sys.executable, str(experiment), name, "--data", args.data, "--eval-data", args.data]
            command += ["--judge", str(args.judge), "--out", str(args.out), "--log", str(log)]
            subprocess.run([*command, *(part for item in sets for part in ("--set", item))], check=True)
    print(table(finished(log), args.candidates, args.seeds, args.epochs))


if __name__ == "__main__":
    main()
