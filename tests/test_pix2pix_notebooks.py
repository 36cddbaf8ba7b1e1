"""The pix2pix notebooks (08 data, 09 training, 10 sketch → picture) run in their quick configuration
on a few synthetic pairs made here (never the shared facades)."""

import pytest
from helpers import execute_notebook as run_notebook
from helpers import write_pairs
from PIL import Image

SIZE = 32  # write_pairs' size


def execute(name, tmp_path, **parameters) -> str:
    return run_notebook(name, tmp_path, **parameters).read_text()


@pytest.mark.notebook
def test_pix2pix_notebooks_run_in_order(tmp_path):
    pairs = tmp_path / "pairs"
    write_pairs(pairs / "train", 6)
    write_pairs(pairs / "test", 3, seed=1)
    data = execute("08_pix2pix_data", tmp_path, DATA=str(pairs), COUNT=2, EDGES=["canny"])
    assert "image/png" in data and "canny:" in data
    run_dir = tmp_path / "sketch2photo"
    settings = {"IMAGE_SIZE": SIZE, "BASE_FILTERS": 8, "RESIDUAL_BLOCKS": 1, "EPOCHS": 1, "BATCH_SIZE": 3, "SAMPLES": 2}
    training = execute(
        "09_pix2pix_training",
        tmp_path,
        DATA=str(pairs),
        OUTPUT_DIR=str(run_dir),
        EDGES="none",
        OTHER_EDGES=[],
        **settings,
    )
    assert (run_dir / "pix2pix_generator.keras").exists() and (run_dir / "evaluation.json").exists()
    assert "mean training picture" in training
    output = tmp_path / "picture.png"
    sketch = execute("10_pix2pix_sketch", tmp_path, RUN_DIR=str(run_dir), OUTPUT=str(output))
    assert Image.open(output).size == (SIZE, SIZE) and "image/png" in sketch
