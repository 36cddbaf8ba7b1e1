"""Multi-worker training speed of the default digit C-VAE on one machine, over loopback.

    python benchmarks/multi_worker.py [--steps 40] [--batch-size 256]

Prints steps/s and images/s (of the global batch) for
  1. one process on cores 0-1 (``taskset -c 0,1``), Keras ``fit``, the runner's single-process path;
  2. two workers on loopback, one core each (``taskset -c 0`` / ``-c 1``), MultiWorkerMirroredStrategy
     through ``cvae_tf.core.distribute.fit``, each worker taking half of every global batch;
  3. the all-reduce of one step's gradients alone (a list shaped like the trainable weights), per step.
Steps are timed between batch ends after a warm-up, so tracing is not counted. Random data of MNIST's
shape. Loopback has no network latency and the bandwidth of memory: it shows the loop's own cost
(collectives, per-step reductions, host synchronisation), not what a real network between hosts adds.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from cvae_tf.core.config import RunConfig
from cvae_tf.core.data import make_dataset
from cvae_tf.core.distribute import fit, free_ports, strategy_from_options
from cvae_tf.core.runs import build_trainer

WARM_UP = 5  # steps not timed (tracing, first allocations)


class StepClock(keras.callbacks.Callback):
    """Times batch ends; the rate over the steps after the warm-up."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())

    def steps_per_second(self) -> float:
        timed = self.ends[WARM_UP - 1 :]
        return (len(timed) - 1) / (timed[-1] - timed[0])


def batches(batch_size: int, steps: int):
    rng = np.random.default_rng(0)
    n = batch_size * steps
    images = (rng.random((n, 28, 28)) * 255).astype(np.uint8)
    conditions = np.eye(11, dtype=np.float32)[rng.integers(0, 10, n)]
    return make_dataset(images, conditions, batch_size).cache().repeat()


def measure(role: str, args) -> dict:
    """Runs in the process that trains: 'single', or 'worker' with its index."""
    strategy = strategy_from_options(args.workers, args.index) if role == "worker" else None
    config = RunConfig.for_family("mnist_cvae")
    config.training.batch_size = args.batch_size
    steps = args.steps + WARM_UP
    _, trainer = build_trainer(config, strategy, steps)
    trainer.sharpness_on.assign(1.0)
    clock = StepClock()
    if strategy is None:
        trainer.fit(
            batches(args.batch_size, steps),
            epochs=1,
            steps_per_epoch=steps,
            verbose=0,
            callbacks=[clock],
            shuffle=False,
        )
        return {"steps_per_second": clock.steps_per_second()}
    fit(
        trainer,
        strategy,
        batches(args.batch_size, steps),
        epochs=1,
        steps_per_epoch=steps,
        callbacks=[clock],
        verbose=0,
    )
    return {"steps_per_second": clock.steps_per_second(), **all_reduce_seconds(strategy, trainer)}


def all_reduce_seconds(strategy, trainer, repeats: int = 30) -> dict:
    """One step's gradient all-reduce alone: a SUM over a list shaped like the trainable weights."""
    shapes = [tuple(v.shape) for v in trainer.trainable_variables]

    @tf.function
    def reduce_once():
        def replica():
            gradients = [tf.ones(shape) for shape in shapes]
            return tf.distribute.get_replica_context().all_reduce("SUM", gradients)[0][..., :1]

        return strategy.experimental_local_results(strategy.run(replica))[0]

    for _ in range(WARM_UP):
        reduce_once().numpy()
    started = time.perf_counter()
    for _ in range(repeats):
        reduce_once().numpy()
    floats = sum(int(np.prod(shape)) for shape in shapes)
    return {"all_reduce_seconds": (time.perf_counter() - started) / repeats, "gradient_mb": floats * 4 / 2**20}


def launch(cores: str, *role: str, args) -> subprocess.Popen:
    command = ["taskset", "-c", cores, sys.executable, str(Path(__file__).resolve()), *role]
    command += ["--steps", str(args.steps), "--batch-size", str(args.batch_size)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def result(process: subprocess.Popen, timeout: float) -> dict:
    output, _ = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise SystemExit(f"a measuring process failed (exit {process.returncode})")
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement (default 40)")
    parser.add_argument("--batch-size", type=int, default=256, help="global batch (default 256, the full-MNIST one)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a measurement is given up")
    parser.add_argument("--role", choices=["single", "worker"], help=argparse.SUPPRESS)
    parser.add_argument("--workers", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        print(json.dumps(measure(args.role, args)))
        return
    print(
        f"digit C-VAE (default model), global batch {args.batch_size}, {args.steps} timed steps, {os.cpu_count()} cores"
    )
    single = result(launch("0,1", "--role", "single", args=args), args.timeout)
    addresses = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    workers = [launch(str(i), "--role", "worker", "--workers", addresses, "--index", str(i), args=args) for i in (0, 1)]
    try:
        chief, other = (result(process, args.timeout) for process in workers)
    finally:
        for process in workers:
            process.kill()
            process.wait()
    for label, rate in (("one process, cores 0-1", single["steps_per_second"]),
                        ("two workers, a core each", chief["steps_per_second"])):  # fmt: skip
        print(f"{label:26s} {rate:7.2f} steps/s  {rate * args.batch_size:8.0f} images/s")
    print(
        f"all-reduce of the gradients ({chief['gradient_mb']:.2f} MB): {chief['all_reduce_seconds'] * 1000:.1f} ms/step"
    )
    print(f"the other worker measured {other['steps_per_second']:.2f} steps/s")


if __name__ == "__main__":
    main()
