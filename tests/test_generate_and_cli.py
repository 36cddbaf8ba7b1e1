import numpy as np
import pytest
from PIL import Image

from cvae_tf.cli import main
from cvae_tf.core.saving import SavedRun
from cvae_tf.families.mnist.generate import generate, thickness_sweep


def test_generate_is_reproducible_and_checks_z(tiny_run):
    run = SavedRun.open(tiny_run[0])
    images = generate(run.decoder, [7, 7, 1], white=[-1.0, 1.0, 0.0], seed=3)
    assert images.shape == (3, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(images, generate(run.decoder, [7, 7, 1], white=[-1.0, 1.0, 0.0], seed=3))
    assert not np.array_equal(images, generate(run.decoder, [7, 7, 1], white=[-1.0, 1.0, 0.0], seed=4))
    with pytest.raises(ValueError, match=r"z has 5 values per vector; the model has latent size 8"):
        generate(run.decoder, [7, 7, 1], z=np.zeros((3, 5)))
    sweep, whites = thickness_sweep(run.decoder, digit=3, steps=5, samples=2)
    assert sweep.shape == (2, 5, 28, 28) and list(whites) == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_cli_sample_writes_the_npz_layout(tiny_run, tmp_path):
    path = tmp_path / "samples.npz"
    assert (
        main(["sample", str(tiny_run[0]), "--per-class", "3", "--condition", "white=0.5", "--output", str(path)]) == 0
    )
    with np.load(path) as data:
        assert data["images"].shape == (30, 28, 28) and data["images"].dtype == np.float32
        assert list(data["labels"]) == [d for d in range(10) for _ in range(3)]
        assert np.all(data["white"] == 0.5)


def test_cli_generate_writes_the_grid_and_the_thickness_figure(tiny_run, tmp_path):
    path = tmp_path / "test_output.png"
    assert main(["generate", str(tiny_run[0]), "--output", str(path), "--per-class", "4"]) == 0
    grid = Image.open(path)
    thickness = Image.open(tmp_path / "test_output_thickness.png")
    assert grid.size[1] > grid.size[0] > 200  # ten rows of four
    assert thickness.size[0] > thickness.size[1] * 0.8


def test_cli_train_and_its_errors(tmp_path, capsys):
    output = tmp_path / "run"
    code = main(
        [
            "train",
            "mnist",
            "--epochs",
            "1",
            "--latent-dim",
            "4",
            "--batch-size",
            "512",
            "--grey-weight",
            "0.5",
            "--seed",
            "2",
            "--output",
            str(output),
            "--quiet",
        ]
    )
    assert code == 0
    manifest = SavedRun.open(output).manifest
    assert manifest["config"]["training"]["grey_weight"] == 0.5
    assert manifest["config"]["model"]["latent_dim"] == 4
    assert main(["train", "mnist", "--data", str(tmp_path / "nowhere"), "--output", str(output)]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err
    assert main(["sample", str(tmp_path), "--output", str(tmp_path / "x.npz")]) == 2
    assert "not a saved run" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["train"], ["sample"], ["generate"], ["translate"]])
def test_help_explains_every_option(command, capsys):
    from cvae_tf.cli import build_parser

    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: cvae-tf {' '.join(command)}".rstrip())
    parser = build_parser()
    parsers = parser._subparsers._group_actions[0].choices if command else {}
    options = [o for a in (parsers[command[0]] if command else parser)._actions for o in a.option_strings]
    assert options and all(option in text for option in options)  # every option of the command is explained


def test_cli_evaluate_says_when_a_family_has_no_report(sample_classifier, capsys):
    folder, _ = sample_classifier
    assert main(["evaluate", str(folder)]) == 2
    assert "no report for the classify_nums family" in capsys.readouterr().err
