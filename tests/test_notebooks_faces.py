"""Notebooks 06 and 07 run top to bottom in their quick configuration on a tiny synthetic CelebA."""

import pytest
from helpers import execute_notebook as execute
from helpers import make_celeba


@pytest.mark.notebook
def test_face_notebooks_run_in_order(tmp_path):
    data = make_celeba(tmp_path / "celeba", n=40)
    conditions = tmp_path / "face_conditions"
    quick = {"DATA": str(data), "IMAGE_SIZE": 32, "EPOCHS": 1, "EYES": "narrow_eyes", "SEED": 0}
    executed = execute("06_face_condition_models", tmp_path, OUTPUT_DIR=str(conditions), WIDTHS=[8, 16], **quick)
    assert (conditions / "classify_male_or_female.keras").exists()
    assert "mean_mse" in executed.read_text()
    output = tmp_path / "test_output.png"
    faces = tmp_path / "face_cvae"
    executed = execute(
        "07_face_cvae",
        tmp_path,
        CONDITIONS_DIR=str(conditions),
        OUTPUT_DIR=str(faces),
        LATENT_DIM=4,
        FILTERS=[8, 16],
        OUTPUT=str(output),
        **quick,
    )
    assert (faces / "condition_models" / "regression_eyes.keras").exists() and output.stat().st_size > 10_000
    assert "flip test" in executed.read_text() and "image/png" in executed.read_text()
    assert executed.read_text().count("Laplacian variance, samples / real") == 1
