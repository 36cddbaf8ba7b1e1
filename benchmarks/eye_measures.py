"""Two measures of how open the eyes are, from dlib's landmarks on a CelebA folder: which one a
turned head fools.

    python benchmarks/eye_measures.py --data ../shared/data/celeba

Prints, for the eye aspect ratio (the lids' gap over the eye's width) and the lids' gap over the
nose's length (the eyes target, ``cvae_tf.families.faces.landmarks``): how well the two eyes agree, and the
correlation of both eyes' mean with the head's turn (the nose tip's place between the jaw's ends,
its absolute value), its tilt, ``Male``, ``Narrow_Eyes`` and ``Smiling``, on faces without
eyeglasses where dlib finds a face (the landmarks come from the face cache, or take about 44 s
for 8,000 faces).
"""

import argparse

import numpy as np

from cvae_tf.families.faces.data import read_celeba_files, read_landmarks
from cvae_tf.families.faces.landmarks import distance, lid_gaps


def aspect_ratios(points: np.ndarray) -> np.ndarray:
    """(N, 2) eye aspect ratios: the lids' gap over the eye's width (corner 36 to 39, 42 to 45)."""
    widths = np.stack([distance(points, 36, 39), distance(points, 42, 45)], axis=1)
    return lid_gaps(points) * distance(points, 27, 33)[:, None] / widths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a CelebA folder")
    attributes, files = read_celeba_files(parser.parse_args().data)
    points = read_landmarks(files).astype(np.float64)
    turn = np.abs((points[:, 30, 0] - points[:, 0, 0]) / (points[:, 16, 0] - points[:, 0, 0]) - 0.5)
    tilt = distance(points, 27, 30) / distance(points, 30, 8)
    keep = ~np.isnan(turn) & (attributes["Eyeglasses"].to_numpy() == 0)
    others = {"turn": turn, "tilt": tilt}
    others.update({name: attributes[name].to_numpy(float) for name in ("Male", "Narrow_Eyes", "Smiling")})
    print(f"{keep.sum()} faces without eyeglasses where dlib found a face, of {len(keep)}")
    print("| measure | left-right r | " + " | ".join(f"r {name}" for name in others) + " |")
    print("|---" * (2 + len(others)) + "|")
    for name, eyes in (("eye aspect ratio", aspect_ratios(points)), ("lid gap / nose length", lid_gaps(points))):
        eyes, mean = eyes[keep], eyes[keep].mean(axis=1)
        cells = [np.corrcoef(eyes[:, 0], eyes[:, 1])[0, 1]]
        cells += [np.corrcoef(mean, other[keep])[0, 1] for other in others.values()]
        print(f"| {name} | " + " | ".join(f"{c:+.2f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
