"""The descriptor judge of face runs: dlib's face descriptor and a sex probe, fitted on CelebA and saved.

    python benchmarks/face_descriptor_judge.py --data ../shared/data/celeba --output runs/descriptor_judge
    python benchmarks/face_descriptor_judge.py --data ../shared/data/celeba --compare whole inset15 box --n 2000

The first fits the probe on the training faces at 64×64 (the C-VAE's size and split), prints its
accuracy on the held-out test faces and the time per 100 descriptors, and saves the judge for
``cvae-tf evaluate RUN --descriptor-judge DIR``. ``--compare`` saves nothing: for each variant of
where the face is looked for and how the chip is cut, it prints the probe's 5-fold cross-validated
accuracy on ``--n`` training faces and its test accuracy, for each ``--C``.
"""

import argparse
import time

import numpy as np

VARIANTS = {
    "box": {},  # SETTINGS: HOG's mean box on upsampled CelebA crops
    "whole": {"box": (0.0, 0.0, 1.0, 1.0)},
    "inset15": {"box": (0.15, 0.15, 0.85, 0.85)},
    "inset25": {"box": (0.25, 0.25, 0.75, 0.75)},
    "box_up256": {"upsample": 256},
    "box_pad10": {"padding": 0.1},
    "box_pad40": {"padding": 0.4},
}


def compare(data, variants, n, cs):
    """Cross-validated and test accuracy of the probe for each variant and C."""
    from sklearn.model_selection import StratifiedKFold

    from cvae_tf.families.faces.descriptor_judge import BOX, SETTINGS, DescriptorJudge, face_descriptors

    train, test = data.train.take(np.arange(min(n, len(data.train)))), data.test
    male_train, male_test = train.attributes["Male"].to_numpy(), test.attributes["Male"].to_numpy()
    print(f"{len(train)} training faces, {len(test)} test faces; box {BOX} unless named")
    print(f"{'variant':12s} {'C':>6s} {'cv acc':>7s} {'test acc':>8s} {'s/100':>6s}")
    for name in variants:
        settings = {**SETTINGS, **VARIANTS[name]}
        started = time.perf_counter()
        train_d, test_d = face_descriptors(train.images, **settings), face_descriptors(test.images, **settings)
        per_100 = 100 * (time.perf_counter() - started) / (len(train) + len(test))
        for c in cs:
            folds = StratifiedKFold(5, shuffle=True, random_state=0).split(train_d, male_train)
            cv = np.mean(
                [
                    DescriptorJudge.fit_descriptors(train_d[a], male_train[a], C=c).accuracy(train_d[b], male_train[b])
                    for a, b in folds
                ]
            )
            judge = DescriptorJudge.fit_descriptors(train_d, male_train, C=c, settings=settings)
            print(f"{name:12s} {c:6g} {cv:7.2%} {judge.accuracy(test_d, male_test):8.2%} {per_100:6.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/celeba", help="a CelebA folder")
    parser.add_argument("--output", default="runs/descriptor_judge", help="where the judge is saved")
    parser.add_argument("--size", type=int, default=64, help="faces are read at SIZE×SIZE (the C-VAE's size)")
    parser.add_argument("--n", type=int, default=None, help="training faces at most (default: all)")
    parser.add_argument("--C", type=float, nargs="+", help="the probe's inverse regularisation (default: PROBE_C)")
    parser.add_argument("--compare", nargs="+", choices=sorted(VARIANTS), help="compare variants, save nothing")
    args = parser.parse_args()
    # The library imports TensorFlow (seconds), so only once the arguments are read.
    from cvae_tf.families.faces.data import load_celeba
    from cvae_tf.families.faces.descriptor_judge import PROBE_C, fit_descriptor_judge

    args.C = args.C or [PROBE_C]
    if args.compare:
        data = load_celeba(args.data, (args.size, args.size), eyes="narrow_eyes")
        compare(data, args.compare, args.n or len(data.train), args.C)
        return
    started = time.perf_counter()
    judge = fit_descriptor_judge(args.data, args.output, n=args.n, image_size=(args.size, args.size), C=args.C[0])
    info = judge.info
    print(f"probe: {info['n_train']} training faces, train accuracy {info['train_accuracy']:.2%}, C {info['C']:g}")
    print(f"hold-out accuracy on {info['n_test']} test faces: {judge.holdout_accuracy:.2%}")
    print(f"{info['seconds_per_100']:.2f} s per 100 descriptors; {time.perf_counter() - started:.0f} s in all")
    print(f"saved to {args.output}")


if __name__ == "__main__":
    main()
