"""pix2pix step times on this machine: the generator's forward + backward + Adam update, and the full
trainer step (discriminator step then generator step), batch 1, compiled with tf.function.

    python benchmarks/pix2pix_speed.py [--steps 5] [--configs 128:32 256:64]

Each config is SIZE:BASE_FILTERS (9 residual blocks). Random data; prints one line per config.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cvae_tf.families.pix2pix.models import build_discriminator, build_generator  # noqa: E402
from cvae_tf.families.pix2pix.trainer import Pix2PixTrainer, l1  # noqa: E402


def seconds_per_call(step, steps):
    """Median wall time of ``steps`` calls after two warm-up calls (tracing, allocation)."""
    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def generator_step(generator, optimizer, sketch, image):
    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = l1(image, generator({"sketch": sketch}, training=True))
        optimizer.apply(tape.gradient(loss, generator.trainable_variables), generator.trainable_variables)
        return loss

    return lambda: step().numpy()


def measure(size, base_filters, steps):
    rng = np.random.default_rng(0)
    sketch = tf.constant(rng.random((1, size, size, 1)), tf.float32)
    image = tf.constant(rng.uniform(-1, 1, (1, size, size, 3)), tf.float32)
    generator = build_generator(base_filters=base_filters)
    g_time = seconds_per_call(generator_step(generator, keras.optimizers.Adam(2e-4), sketch, image), steps)
    trainer = Pix2PixTrainer(generator, build_discriminator(base_filters=base_filters))
    trainer.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
    train_step = tf.function(trainer.train_step)
    full_time = seconds_per_call(lambda: train_step({"sketch": sketch, "image": image})["g_loss"].numpy(), steps)
    print(
        f"{size}x{size} base {base_filters}: generator {generator.count_params():,} params, "
        f"G forward+backward {g_time * 1000:.0f} ms/step, full D+G step {full_time * 1000:.0f} ms/step (batch 1)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--configs", nargs="+", default=["128:32", "256:64"])
    args = parser.parse_args()
    gpus = len(tf.config.list_physical_devices("GPU"))
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs, {gpus} GPUs")
    for config in args.configs:
        size, base = (int(part) for part in config.split(":"))
        measure(size, base, args.steps)


if __name__ == "__main__":
    main()
