import json

import numpy as np
import pytest
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.families.mnist.evaluate import TARGETS, markdown, summary_row, targets_table


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
    assert summary["test_reconstruction"] > 0 and summary["test_kl"] > 0
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


def test_a_vanilla_vae_run_is_judged_by_what_the_classifier_reads(vae_run, sample_data, sample_classifier):
    from cvae_tf.core.saving import SavedRun
    from cvae_tf.families.mnist.evaluate import Judge, evaluate_run

    result = evaluate_run(SavedRun.open(vae_run), sample_data, Judge(sample_classifier[1]), per_class=10)
    assert "conditional_accuracy" not in result and "conditional_accuracy" not in result["summary"]
    assert np.isfinite(result["summary"]["frechet_ratio"])
    row = summary_row("vae", result)
    assert row["cond. acc."] == "–" and row["variant"] == "vae"
    assert "conditional accuracy" not in markdown(result)


def test_the_cli_gives_the_library_numbers_and_a_seed_gives_the_same_numbers(tiny_run, sample_classifier, tmp_path):
    from cvae_tf.core.runs import load_run_data
    from cvae_tf.core.saving import SavedRun
    from cvae_tf.families.mnist.evaluate import evaluate_run, load_judge

    run_dir, _ = tiny_run
    folder, _ = sample_classifier
    for name in ("first", "second"):
        arguments = ["evaluate", str(run_dir), "--classifier", str(folder), "--per-class", "10", "--seed", "3"]
        assert main([*arguments, "--output", str(tmp_path / name)]) == 0
    by_cli = json.loads((tmp_path / "first" / "evaluation.json").read_text())
    again = json.loads((tmp_path / "second" / "evaluation.json").read_text())
    assert again["summary"] == pytest.approx(by_cli["summary"], rel=1e-6)

    run = SavedRun.open(run_dir)
    by_library = evaluate_run(run, load_run_data(run), load_judge(folder), per_class=10, seed=3)
    assert by_library["summary"] == pytest.approx(by_cli["summary"], rel=1e-6)
    assert set(json.loads(json.dumps(by_library))) == set(by_cli)
    other_seed = evaluate_run(SavedRun.open(run_dir), load_run_data(run), load_judge(folder), per_class=10, seed=4)
    assert other_seed["summary"]["frechet"] != pytest.approx(by_cli["summary"]["frechet"], rel=1e-6)


def test_a_missing_judge_is_an_error_that_names_the_command(tiny_run, tmp_path, capsys):
    run_dir, _ = tiny_run
    assert main(["evaluate", str(run_dir), "--classifier", str(tmp_path / "none")]) == 2
    error = capsys.readouterr().err
    assert "no classify_nums run" in error and "cvae-tf train classify_nums" in error
    assert not (tmp_path / "none").exists()  # evaluation trains nothing


def test_a_vanilla_vae_on_an_image_folder_is_not_scored_as_faces(tmp_path, capsys):
    from conftest import tiny_config

    from cvae_tf.core.runs import train

    folder = tmp_path / "pictures" / "any"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(40):
        Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(folder / f"{index}.png")
    config = tiny_config(epochs=1, family="conv_vae")
    config.data.format, config.data.source = "images", str(tmp_path / "pictures")
    config.training.batch_size = 8
    train(config, tmp_path / "vae", verbose=0)
    assert main(["evaluate", str(tmp_path / "vae")]) == 2
    error = capsys.readouterr().err
    assert "no judge scores runs trained on data.format 'images'" in error and "celeba" in error
