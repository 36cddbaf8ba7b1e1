"""Ablations of the MNIST C-VAE on full MNIST: train each variant, evaluate it, print a table.

    python benchmarks/ablations.py --data ../shared/data/mnist --epochs 5 --out runs/ablations

Each variant is `cvae-tf train mnist` with a few options changed from the defaults, then
`cvae-tf evaluate`. Finished runs and evaluations are kept, so an interrupted sweep continues
where it stopped. The table (Markdown) is printed and written to OUT/ablations.md.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

VARIANTS = {
    "default": [],
    "grey never": ["--no-grey"],
    "grey from epoch 1": ["--grey-from-epoch", "1"],
    "k = 0.25": ["--grey-weight", "0.25"],
    "k = 1.0": ["--grey-weight", "1.0"],
    "latent 2": ["--latent-dim", "2"],
    "latent 16": ["--latent-dim", "16"],
    "no side branch": ["--no-side-branch"],
}


def folder_name(variant: str) -> str:
    return variant.replace(" = ", "").replace(" ", "_").replace(".", "")


def run(command):
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("runs/ablations"))
    parser.add_argument("--only", nargs="*", choices=sorted(VARIANTS), help="variants to run (default: all)")
    parser.add_argument("--train-only", action="store_true", help="train the variants, evaluate later")
    args = parser.parse_args()
    for variant in args.only or VARIANTS:
        run_dir = args.out / folder_name(variant)
        if not (run_dir / "manifest.json").exists():
            run(
                [
                    "cvae-tf",
                    "train",
                    "mnist",
                    "--data",
                    args.data,
                    "--epochs",
                    str(args.epochs),
                    "--output",
                    str(run_dir),
                    "--resume",
                    "--quiet",
                    *VARIANTS[variant],
                ]
            )
        if not args.train_only and not (run_dir / "evaluation.json").exists():
            run(["cvae-tf", "evaluate", str(run_dir), "--data", args.data])
    if not args.train_only:
        table = markdown_table(args.out, args.only or list(VARIANTS))
        (args.out / "ablations.md").write_text(table)
        print(table)


def markdown_table(out: Path, variants) -> str:
    from cvae_tf.families.mnist.evaluate import summary_row

    rows = [
        summary_row(variant, json.loads((out / folder_name(variant) / "evaluation.json").read_text()))
        for variant in variants
    ]
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
