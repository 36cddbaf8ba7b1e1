"""Train the four face condition models on a CelebA folder and score them on its held-out test faces.

    python benchmarks/face_conditions.py --data ../shared/data/celeba [--size 64] [--epochs 12] [--save DIR]

Prints the training wall time and process CPU time of all four (the CPU time is the fairer number
on a shared machine), then one row per model: accuracy and balanced accuracy at 0.5, MSE, the MSE of predicting
the training mean, and their ratio. Targets: sex accuracy ≥ 97 %, every ratio ≤ 0.5, all four
trained within 10 minutes on a 2-core CPU.
"""

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cvae_tf.data.faces import load_celeba
from cvae_tf.models import face_conditions as fc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a CelebA folder (images + list_attr_celeba.txt)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--epochs", type=int, default=12, help="epochs (the four train together)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None, help="a folder to save the four .keras models in")
    args = parser.parse_args()

    start = time.perf_counter()
    data = load_celeba(args.data, image_size=(args.size, args.size), seed=args.seed)
    print(f"data: {len(data.train)} train / {len(data.val)} val / {len(data.test)} test faces "
          f"({time.perf_counter() - start:.1f} s to load)", flush=True)  # fmt: skip
    cpu, wall = time.process_time(), time.perf_counter()
    models = fc.train_condition_models(data, epochs=args.epochs, seed=args.seed, verbose=0)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    table = fc.evaluate_condition_models(models, data.test, reference=data.train)
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"all four: {wall:.0f} s wall, {cpu:.0f} s process CPU on {os.cpu_count()} cores; "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, model in models.items():
            model.save(args.save / f"{name}.keras")
        print(f"saved to {args.save}")


if __name__ == "__main__":
    main()
