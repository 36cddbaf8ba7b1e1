"""The face C-VAE's training options: the KL weight β and the control term on judged prior samples."""

import numpy as np
import pandas as pd
import pytest

from cvae_tf.core.config import RunConfig
from cvae_tf.core.runs import train
from cvae_tf.core.saving import SavedRun


def test_the_control_term_trains_on_judged_samples_and_leaves_the_judges_frozen(face_runs, tmp_path):
    config = RunConfig.from_dict(SavedRun.open(face_runs / "faces").manifest["config"])
    config.training.kl_weight, config.training.judge_weight = 0.25, 2.0
    train(config, tmp_path / "judged", verbose=0)

    log = pd.read_csv(tmp_path / "judged" / "training_log.csv")
    assert (log["control"] > 0).all() and np.isfinite(log["control"]).all()
    k = config.training.grey_weight
    for prefix, switch in (("", log["sharpness_on"]), ("val_", 1.0)):
        expected = log[prefix + "mse"] + 0.25 * log[prefix + "kl"] + k * switch * log[prefix + "sharpness"]
        expected += 2.0 * log[prefix + "control"]
        np.testing.assert_allclose(log[prefix + "loss"], expected, rtol=1e-4)

    judges = SavedRun.open(face_runs / "conditions").model("classify_male_or_female")
    kept = SavedRun.open(tmp_path / "judged").condition.models["classify_male_or_female"]
    for before, after in zip(judges.get_weights(), kept.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_the_control_term_is_on_by_default_and_off_at_weight_zero(face_runs):
    from cvae_tf.core.registry import get_family
    from cvae_tf.families.vae.trainer import JudgedVAETrainer

    assert (pd.read_csv(face_runs / "faces" / "training_log.csv")["control"] > 0).all()
    run = SavedRun.open(face_runs / "faces")
    config = RunConfig.from_dict(run.manifest["config"])
    config.training.judge_weight = 0.0
    trainer = get_family("face_cvae").trainer(config, {"encoder": run.encoder, "decoder": run.decoder})
    assert not isinstance(trainer, JudgedVAETrainer) and "control" not in trainer.trackers


def test_the_control_term_judges_only_the_fields_it_is_told(face_runs):
    from cvae_tf.core.registry import get_family

    run = SavedRun.open(face_runs / "faces")
    config = RunConfig.from_dict(run.manifest["config"])
    models = {"encoder": run.encoder, "decoder": run.decoder}
    requested = np.float32([[1, 0.2, 0.8, 1], [0, 0.9, 0.1, 0.3]])
    drawn = run.decoder.predict({"z": np.zeros((2, 4), "float32"), "condition": requested}, verbose=0)
    judged = run.condition.of_images(drawn).clip(1e-6, 1 - 1e-6)
    cross_entropy = -(requested * np.log(judged) + (1 - requested) * np.log(1 - judged))
    for fields, columns in ((["male", "hair", "mouth", "eyes"], [0, 1, 2, 3]), (["hair", "eyes"], [1, 3])):
        config.training.judged = fields
        trainer = get_family("face_cvae").trainer(config, models)
        control = np.asarray(trainer.prior_terms(requested, drawn)["control"])
        np.testing.assert_allclose(control, cross_entropy[:, columns].sum(axis=1), rtol=1e-4)
    config.training.judged = ["hair", "nose"]
    with pytest.raises(ValueError, match=r"training.judged names \['nose'\]; expected some of"):
        get_family("face_cvae").trainer(config, models)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_the_kl_weight_scales_the_objective(face_runs, weight):
    from cvae_tf.core.registry import get_family

    run = SavedRun.open(face_runs / "faces")
    config = RunConfig.from_dict(run.manifest["config"])
    config.training.kl_weight = weight
    config.training.judge_weight = 0.0
    trainer = get_family("face_cvae").trainer(config, {"encoder": run.encoder, "decoder": run.decoder})
    terms = {"mse": np.float32([3.0]), "kl": np.float32([5.0]), "sharpness": np.float32([7.0])}
    expected = 3.0 + weight * 5.0 + config.training.grey_weight * 7.0
    np.testing.assert_allclose(np.asarray(trainer.objective(terms)), [expected], rtol=1e-6)


def test_the_face_cvae_counts_no_sharpness_term_by_default_but_still_logs_one(face_runs):
    from cvae_tf.core.registry import get_family

    run = SavedRun.open(face_runs / "faces")
    config = RunConfig.from_dict(run.manifest["config"])
    config.training.sharpness = RunConfig.for_family("face_cvae").training.sharpness
    config.training.judge_weight = 0.0
    assert config.training.sharpness == "none"
    trainer = get_family("face_cvae").trainer(config, {"encoder": run.encoder, "decoder": run.decoder})
    terms = {"mse": np.float32([3.0]), "kl": np.float32([5.0]), "sharpness": np.float32([7.0])}
    np.testing.assert_allclose(np.asarray(trainer.objective(terms)), [8.0], rtol=1e-6)
    assert "sharpness" in [metric.name for metric in trainer.metrics]
