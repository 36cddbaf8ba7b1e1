"""The pix2pix notebooks (08 data, 09 training, 10 sketch → picture) run in their quick configuration
on a few synthetic pairs made here (never the shared facades)."""

from pathlib import Path

import numpy as np
import papermill
import pytest
from PIL import Image

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SIZE = 32


def execute(name, tmp_path, **parameters):
    output = tmp_path / f"{name}.out.ipynb"
    papermill.execute_notebook(
        NOTEBOOKS / f"{name}.ipynb",
        output,
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
    )
    return output.read_text()


def write_pairs(folder, count, seed=0):
    """Photo LEFT (a coloured block on grey), its outline dark on white RIGHT, as the facades lay out."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for index in range(count):
        top, left = rng.integers(2, SIZE // 2, 2)
        photo = np.full((SIZE, SIZE, 3), 60, np.uint8)
        photo[top : top + 12, left : left + 12] = rng.integers(120, 255, 3)
        sketch = np.full((SIZE, SIZE, 3), 255, np.uint8)
        sketch[top : top + 12, [left, left + 11]] = 0
        sketch[[top, top + 11], left : left + 12] = 0
        Image.fromarray(np.concatenate([photo, sketch], axis=1)).save(folder / f"{index}.png")


@pytest.mark.notebook
def test_pix2pix_notebooks_run_in_order(tmp_path):
    pairs = tmp_path / "pairs"
    write_pairs(pairs / "train", 6)
    write_pairs(pairs / "test", 3, seed=1)
    data = execute("08_pix2pix_data", tmp_path, DATA=str(pairs), COUNT=2, EDGES=["canny"])
    assert "image/png" in data and "canny:" in data
    run_dir = tmp_path / "sketch2photo"
    settings = dict(IMAGE_SIZE=SIZE, BASE_FILTERS=8, RESIDUAL_BLOCKS=1, EPOCHS=1, BATCH_SIZE=3, SAMPLES=2)
    training = execute(
        "09_pix2pix_training", tmp_path, DATA=str(pairs), OUTPUT_DIR=str(run_dir), EDGES="none", **settings
    )
    assert (run_dir / "pix2pix_generator.keras").exists() and (run_dir / "evaluation.json").exists()
    assert "mean training picture" in training
    output = tmp_path / "picture.png"
    sketch = execute("10_pix2pix_sketch", tmp_path, RUN_DIR=str(run_dir), OUTPUT=str(output))
    assert Image.open(output).size == (SIZE, SIZE) and "image/png" in sketch
