import json

import numpy as np
import pytest
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.evaluate import TARGETS, markdown, summary_row, targets_table


def test_cli_writes_the_report_into_the_run(tiny_run, sample_classifier, tmp_path):
    run_dir, _ = tiny_run
    folder, _ = sample_classifier
    output = tmp_path / "report"
    assert (
        main(["evaluate", str(run_dir), "--classifier", str(folder), "--per-class", "20", "--output", str(output)]) == 0
    )
    result = json.loads((output / "evaluation.json").read_text())
    summary = result["summary"]
    per_digit = result["conditional_accuracy"]["per_digit"]
    assert summary["conditional_accuracy"] == pytest.approx(np.mean(per_digit))  # 20 per digit: the mean
    assert 0.0 < summary["conditional_accuracy"] < 1.0  # two tiny epochs: some digits read right, not all
    assert result["classifier_test_accuracy"]["overall"] > 0.8  # two epochs on 4,050 digits
    assert len(result["conditional_accuracy"]["per_digit"]) == 10
    assert set(result["thickness"]["per_digit"]) == {str(d) for d in range(10)}
    assert summary["frechet"] > 0 and result["frechet"]["real_vs_real"] > 0
    assert summary["test_mse"] > 0 and summary["test_kl"] > 0
    assert 0 < result["test_losses"]["pixel_mse_of_mean"] < 0.2
    text = (output / "evaluation.md").read_text()
    assert "| conditional accuracy | >= 0.995 |" in text and "| 9 |" in text
    width, height = Image.open(output / "evaluation.png").size
    assert width > 800 and height > 600


def test_targets_table_says_which_are_met():
    summary = {"conditional_accuracy": 0.996, "frechet_ratio": 3.5, "grey_share_error": 0.05}
    rows = {name: met for name, _, _, met in targets_table(summary)}
    assert rows == {
        "conditional accuracy": True,
        "Fréchet distance vs real-vs-real": False,
        "grey share error vs real": True,
    }
    assert {name for name, *_ in targets_table({key: 0.0 for key, _, _ in TARGETS.values()})} == set(TARGETS)


def test_a_vanilla_vae_run_is_judged_by_what_the_classifier_reads(tmp_path, sample_data, sample_classifier):
    from conftest import tiny_config
    from cvae_tf.evaluate import Judge, evaluate_run
    from cvae_tf.runs import train
    from cvae_tf.saving import SavedRun

    config = tiny_config(epochs=1)
    config.model.family = "conv_vae"
    train(config, tmp_path / "vae", verbose=0)
    result = evaluate_run(SavedRun.open(tmp_path / "vae"), sample_data, Judge(sample_classifier[1]), per_class=10)
    assert "conditional_accuracy" not in result and "conditional_accuracy" not in result["summary"]
    assert np.isfinite(result["summary"]["frechet_ratio"])
    row = summary_row("vae", result)
    assert row["cond. acc."] == "–" and row["variant"] == "vae"
    assert "conditional accuracy" not in markdown(result)
