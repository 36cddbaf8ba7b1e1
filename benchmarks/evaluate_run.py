"""Score a trained MNIST C-VAE run with classify_nums (first numbers; the full report is to come).

    python benchmarks/evaluate_run.py RUN_DIR --data ../shared/data/mnist [--classifier-epochs 2]

Trains classify_nums on the data's training split, then compares 100 prior samples per digit
with real test digits: conditional accuracy, grey share, diversity, Fréchet distance, thickness.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from cvae_tf.data import load_mnist  # noqa: E402
from cvae_tf.generate import generate, per_class_request  # noqa: E402
from cvae_tf.metrics import conditional_accuracy, diversity, frechet_distance, pixel_shares, white_adherence  # noqa: E402
from cvae_tf.models.classifier import feature_model, train_classifier  # noqa: E402
from cvae_tf.saving import SavedRun  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--data", default="sample")
    parser.add_argument("--classifier-epochs", type=int, default=2)
    args = parser.parse_args()
    data = load_mnist(args.data)
    classifier = train_classifier(data, epochs=args.classifier_epochs, verbose=2)
    features = feature_model(classifier)
    real = data.test.images / 255.0
    real_labels = data.test.labels

    def predict(images):
        return classifier.predict(images[..., None], verbose=0).argmax(1)

    print("classifier test accuracy", conditional_accuracy(predict(real), real_labels)["overall"])
    run = SavedRun.open(args.run)
    digits, whites = per_class_request(100)
    fake = generate(run.decoder, digits, whites, seed=0)
    print("conditional accuracy", conditional_accuracy(predict(fake), digits))
    print("pixel shares generated", pixel_shares(fake), "real", pixel_shares(real))
    pick = np.concatenate([np.flatnonzero(real_labels == d)[:100] for d in range(10)])
    print("diversity generated", diversity(fake, digits), "real", diversity(real[pick], real_labels[pick]))
    f_real = features.predict(real[..., None], verbose=0)
    f_fake = features.predict(fake[..., None], verbose=0)
    half = len(f_real) // 2
    print("frechet generated-vs-real", frechet_distance(f_fake, f_real), "real-vs-real", frechet_distance(f_real[:half], f_real[half:]))
    sweep_digits = np.repeat(np.arange(10), 90)
    sweep_whites = np.tile(np.repeat(np.linspace(-1, 1, 9), 10), 10).astype(np.float32)
    swept = generate(run.decoder, sweep_digits, sweep_whites, seed=1)
    adherence = white_adherence(swept, sweep_digits, sweep_whites)
    for digit, values in adherence.items():
        implied = 2 * run.condition.std[digit]
        print(f"digit {digit}: correlation {values['correlation']:.3f} slope {values['slope']:.4f} implied {implied:.4f}")


if __name__ == "__main__":
    main()
