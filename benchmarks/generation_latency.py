"""Generation latency of a trained decoder, for 1 and for 100 digits, through each way of loading it.

    python benchmarks/generation_latency.py RUN_DIR [--repeats 50]

Ways: the ``.keras`` model called eagerly (the reference), the same wrapped in a ``tf.function``,
``model.predict``, ``model.predict_on_batch`` (what ``cvae_tf.families.mnist.generate`` uses), and the
SavedModel's ``serving_default`` signature. Prints the median and the 99th-percentile
milliseconds per call, and each median as a ratio against the reference.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cvae_tf.core.saving import SavedRun  # noqa: E402
from cvae_tf.families.mnist.condition import condition_vectors  # noqa: E402
from cvae_tf.families.mnist.generate import latent_dim_of, sample_latents  # noqa: E402


def timings(call, repeats: int) -> np.ndarray:
    for _ in range(3):  # warm up: tracing, first allocations
        call()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return np.array(seconds) * 1000.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    run = SavedRun.open(args.run)
    decoder = run.decoder
    serving = tf.saved_model.load(str(run.path / run.manifest["models"]["decoder"])).signatures["serving_default"]
    graph = tf.function(lambda inputs: decoder(inputs, training=False))
    print(f"run {args.run}; {tf.config.list_physical_devices('GPU') or 'CPU only'}")
    for count in (1, 100):
        inputs = {"z": tf.constant(sample_latents(count, latent_dim_of(decoder)))}
        if "condition" in decoder.input:
            inputs["condition"] = tf.constant(condition_vectors(np.arange(count) % 10, 0.0))
        ways = {
            ".keras, eager call (reference)": lambda: decoder(inputs, training=False).numpy(),
            ".keras, tf.function": lambda: graph(inputs).numpy(),
            ".keras, predict": lambda: decoder.predict(inputs, verbose=0),
            ".keras, predict_on_batch": lambda: decoder.predict_on_batch(inputs),
            "SavedModel serving_default": lambda: serving(**inputs)["output_0"].numpy(),
        }
        reference = None
        for name, call in ways.items():
            ms = timings(call, args.repeats)
            median = float(np.median(ms))
            reference = reference or median
            p99 = np.percentile(ms, 99)
            ratio = reference / median
            print(f"{count:3d} image(s)  {name:32s} p50 {median:7.2f} ms  p99 {p99:7.2f} ms  {ratio:5.2f}x")


if __name__ == "__main__":
    main()
