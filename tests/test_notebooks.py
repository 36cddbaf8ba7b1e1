"""The notebooks, run top to bottom in their quick configuration (papermill parameters)."""

import pytest
from helpers import NOTEBOOKS
from helpers import execute_notebook as execute
from PIL import Image


@pytest.mark.notebook
def test_mnist_notebooks_run_in_order(tmp_path):
    execute("01_mnist_data", tmp_path, DATA="sample")
    run_dir = tmp_path / "mnist_cvae"
    execute(
        "02_mnist_cvae_training",
        tmp_path,
        DATA="sample",
        OUTPUT_DIR=str(run_dir),
        EPOCHS=1,
        BATCH_SIZE=512,
        LATENT_DIM=8,
    )
    assert (run_dir / "cvae_decoder_model.keras").exists()
    output = tmp_path / "test_output.png"
    executed = execute("03_mnist_cvae_generation", tmp_path, RUN_DIR=str(run_dir), OUTPUT=str(output), PER_CLASS=3)
    assert Image.open(output).size[1] > 300
    assert (tmp_path / "test_output_thickness.png").exists()
    assert "image/png" in executed.read_text()  # the figures were drawn in the notebook


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(not cell.get("outputs") for cell in code), path.name
        assert any("parameters" in cell.metadata.get("tags", []) for cell in code), path.name
        assert "google.colab" in code[0].source, path.name


@pytest.mark.notebook
def test_evaluation_notebook_writes_the_report(tmp_path, tiny_run, sample_classifier):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run[0], run_dir)
    executed = execute(
        "04_evaluation", tmp_path, RUN_DIR=str(run_dir), CLASSIFIER_DIR=str(sample_classifier[0]), PER_CLASS=10
    )
    assert {"evaluation.json", "evaluation.md", "evaluation.png"} <= {p.name for p in run_dir.iterdir()}
    assert "conditional accuracy" in executed.read_text()
