import pytest

from cvae_tf.core.config import RunConfig


def test_yaml_config_overrides_defaults_and_round_trips(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "data:\n  source: keras\nmodel:\n  latent_dim: 16\ntraining:\n  grey_from_epoch: null\n  learning_rate: 0.002\n"
    )
    config = RunConfig.load(path, family="mnist_cvae")
    assert (config.data.source, config.model.latent_dim, config.training.grey_from_epoch) == ("keras", 16, None)
    assert config.training.epochs == RunConfig.for_family("mnist_cvae").training.epochs
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "text, message",
    [
        ("training:\n  epochz: 3\n", r"training: unknown key\(s\) \['epochz'\]"),
        ("modle:\n  latent_dim: 3\n", r"unknown key\(s\) \['modle'\]"),
        ("training:\n  epochs: ten\n", r"training.epochs = 'ten'; expected a value like 10"),
        ("model:\n  side_branch: 1\n", r"model.side_branch = 1; expected a value like True"),
        ("training:\n  learning_rate: null\n", r"training.learning_rate = None"),
        (
            "training:\n  lr_schedule: step\n",
            r"training.lr_schedule = 'step'; expected one of \['constant', 'cosine'\]",
        ),
        ("data:\n  format: png\n", r"data.format = 'png'; expected one of \['images', 'mnist'"),
        ("data:\n  channels: 2\n", r"data.channels = 2; expected one of \[1, 3\]"),
    ],
)
def test_bad_keys_and_values_are_named(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        RunConfig.load(path, family="mnist_cvae")
    assert "bad.yaml" in str(info.value)


def test_a_config_that_names_no_family_is_an_error_unless_the_caller_gives_one(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("training:\n  epochs: 3\n")
    with pytest.raises(ValueError, match="plain.yaml: model.family is missing"):
        RunConfig.load(path)
    assert RunConfig.load(path, family="mnist").model.family == "mnist_cvae"


def test_a_retired_setting_loads_only_at_the_value_that_kept_it_off():
    saved = RunConfig.for_family("face_cvae").to_dict()
    off = {**saved, "training": {**saved["training"], "adversarial_weight": 0.0, "critic_r1": 0.0}}
    assert RunConfig.from_dict(off) == RunConfig.for_family("face_cvae")
    on = {**saved, "training": {**saved["training"], "adversarial_weight": 30.0}}
    with pytest.raises(ValueError, match="training.adversarial_weight is no longer a setting of 'face_cvae'"):
        RunConfig.from_dict(on)


def test_a_saved_run_without_a_later_setting_reads_as_the_value_it_was_trained_with():
    from types import SimpleNamespace

    from cvae_tf.core.family import get_family

    assert RunConfig.for_family("face_cvae").model.upsampling == "resize"
    saved = RunConfig.for_family("face_cvae").to_dict()
    del saved["model"]["upsampling"]  # a face run saved before the setting existed
    run = SimpleNamespace(manifest={"config": saved}, path="old_run")
    assert get_family("face_cvae").run_config(run).model.upsampling == "transpose"
    assert RunConfig.from_dict(saved).model.upsampling == "resize"  # a user's config file gets the default
    saved["model"]["upsampling"] = "resize"
    assert get_family("face_cvae").run_config(run).model.upsampling == "resize"


def test_cli_trains_from_a_config_file_alone(tmp_path):
    from cvae_tf.cli import main
    from cvae_tf.core.saving import SavedRun

    path = tmp_path / "vae.yaml"
    path.write_text(
        "model:\n  family: mnist_vae\n  latent_dim: 4\n  filters: [8, 16]\n  dense_units: 32\n"
        "training:\n  epochs: 1\n  batch_size: 256\n"
    )
    with pytest.warns(UserWarning, match="'mnist_vae' is now called 'conv_vae'"):  # the old name still loads
        assert main(["train", "--config", str(path), "--output", str(tmp_path / "run"), "--quiet"]) == 0
    saved = SavedRun.open(tmp_path / "run").manifest["config"]
    assert saved["model"]["family"] == "conv_vae" and saved["model"]["latent_dim"] == 4
    assert saved["training"]["grey_weight"] == 0.5  # every option not in the file has its default


def test_the_shipped_configs_load_and_the_mnist_one_is_the_defaults():
    from pathlib import Path

    configs = Path(__file__).resolve().parents[1] / "configs"
    mnist = RunConfig.load(configs / "mnist_cvae.yaml")
    mnist.data.source = RunConfig.for_family("mnist_cvae").data.source
    assert mnist == RunConfig.for_family("mnist_cvae")
    celeba = RunConfig.load(configs / "celeba_vae.yaml")
    assert (celeba.data.format, celeba.data.channels, celeba.model.family) == ("images", 3, "conv_vae")
