"""Training speed of the default MNIST C-VAE: images per second for three ways of running
the project's train_step — eager (reference), tf.function graph (the default), and XLA.

    python benchmarks/train_speed.py [--batches 40] [--batch-size 128] [--filters 24 48]

Random data of MNIST's shape; prints one line per mode and the ratio against eager.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from cvae_tf.core.config import RunConfig  # noqa: E402
from cvae_tf.core.data import make_dataset  # noqa: E402
from cvae_tf.core.runs import build_trainer  # noqa: E402
from cvae_tf.families.mnist.family import MnistCVAE  # noqa: E402


def images_per_second(mode: str, batches: int, batch_size: int, filters: list[int]) -> float:
    config = RunConfig.for_family("mnist_cvae")
    config.model.filters = filters
    config.training.batch_size = batch_size
    config.training.jit_compile = mode == "xla"
    _, trainer = build_trainer(config)
    if mode == "eager":
        trainer.compile(optimizer=trainer.optimizer, run_eagerly=True)
    trainer.sharpness_on.assign(1.0)
    rng = np.random.default_rng(0)
    n = batches * batch_size
    images = (rng.random((n, 28, 28)) * 255).astype(np.uint8)
    conditions = np.eye(11, dtype=np.float32)[rng.integers(0, 10, n)]
    dataset = make_dataset(images, conditions, batch_size).cache()
    trainer.fit(dataset.take(3), epochs=1, verbose=0, shuffle=False)  # trace / compile once
    started = time.perf_counter()
    trainer.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return n / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=MnistCVAE.full_batch, help="the default on full MNIST")
    parser.add_argument("--filters", type=int, nargs=2, default=RunConfig.for_family("mnist_cvae").model.filters)
    args = parser.parse_args()
    print(f"convolution widths {args.filters}, batch {args.batch_size}")
    eager = images_per_second("eager", max(args.batches // 4, 5), args.batch_size, args.filters)
    print(f"eager (reference)      {eager:8.0f} images/s  1.00x")
    for mode, label in (("graph", "tf.function (default)"), ("xla", "tf.function + XLA")):
        speed = images_per_second(mode, args.batches, args.batch_size, args.filters)
        print(f"{label:22s} {speed:8.0f} images/s  {speed / eager:.2f}x")


if __name__ == "__main__":
    main()
