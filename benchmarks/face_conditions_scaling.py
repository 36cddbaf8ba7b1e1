"""How the face condition models' scores grow with training faces and epochs: what limits sex accuracy.

    python benchmarks/face_conditions_scaling.py --data ../shared/data/celeba 6400x10 3200x20 6400x20

Each ``NxE`` trains the four models with ``cvae-tf train face_conditions``'s runner and recipe
(into a temporary run folder) on N training faces drawn at random (seed 0) for E epochs, then scores them
on the held-out test faces. ``3200x20`` takes the steps of ``6400x10`` on half the faces.
"""

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from cvae_tf.core.config import RunConfig
from cvae_tf.core.family import get_family
from cvae_tf.core.runs import train as train_run
from cvae_tf.families.faces.condition_models import evaluate_condition_models, load_condition_models


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a CelebA folder")
    parser.add_argument("runs", nargs="+", help="NxE: N training faces, E epochs")
    args = parser.parse_args()
    config = RunConfig.for_family("face_conditions")
    config.data.source = args.data
    data = get_family("face_conditions").load_data(config)
    print("| training faces | epochs | sex accuracy | ratio hair / mouth / eyes | wall |\n|---|---|---|---|---|")
    for run in args.runs:
        n, epochs = map(int, run.split("x"))
        train = data.train.take(np.random.default_rng(0).permutation(len(data.train))[:n])
        start = time.perf_counter()
        config.training.epochs = epochs
        with tempfile.TemporaryDirectory() as folder:
            train_run(config, Path(folder) / "run", verbose=0, data=dataclasses.replace(data, train=train))
            models = load_condition_models(Path(folder) / "run")
        wall = time.perf_counter() - start
        table = evaluate_condition_models(models, data.test, reference=train)
        ratios = " / ".join(f"{r:.2f}" for r in table["ratio"].iloc[1:])
        sex = table["accuracy"].iloc[0]
        print(f"| {len(train)} | {epochs} | {sex:.1%} | {ratios} | {wall:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
