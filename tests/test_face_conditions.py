"""The four face condition models on small synthetic faces with a clear signal."""

import keras
import numpy as np
import pandas as pd
import pytest

from cvae_tf.families.faces import condition_models as fc
from cvae_tf.families.faces.data import FaceData, FaceSplit

SIZE = (24, 24)
WIDTHS = (8, 16)


def synthetic_split(n: int, seed: int) -> FaceSplit:
    """Discs on grey: blue for men, red for women; brightness says hair, disc size says mouth."""
    rng = np.random.default_rng(seed)
    male = rng.integers(0, 2, n).astype(np.float32)
    hair = rng.choice([0.0, 0.5, 1.0, np.nan], n).astype(np.float32)
    mouth = rng.random(n).astype(np.float32)
    eyes = (rng.random(n) < 0.8).astype(np.float32)
    rows, cols = np.mgrid[: SIZE[0], : SIZE[1]] - (np.array(SIZE)[:, None, None] - 1) / 2
    images = np.full((n, *SIZE, 3), 128, np.uint8)
    for i in range(n):
        disc = np.hypot(rows, cols) < 5 + 5 * mouth[i]
        colour = np.array([40, 60, 220] if male[i] else [220, 60, 40]) * (1 - 0.5 * np.nan_to_num(hair[i]))
        images[i][disc] = colour.astype(np.uint8)
    targets = pd.DataFrame({"male": male, "hair": hair, "mouth": mouth, "eyes": eyes})
    targets.index = pd.Index([f"{seed}_{i}.jpg" for i in range(n)], name="image")
    return FaceSplit(images, targets.index.to_numpy(str), targets, targets)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The four trained by the runner (the face_conditions family) on the synthetic faces."""
    from cvae_tf.core.config import RunConfig
    from cvae_tf.core.runs import train

    data = FaceData(synthetic_split(256, 0), synthetic_split(32, 1), synthetic_split(64, 2), "synthetic", SIZE)
    config = RunConfig.for_family("face_conditions")
    config.data.image_size, config.model.widths = list(SIZE), list(WIDTHS)
    config.training.epochs, config.training.batch_size = 4, 32
    folder = tmp_path_factory.mktemp("conditions") / "run"
    train(config, folder, verbose=0, data=data)
    return data, fc.load_condition_models(folder)


def test_models_have_the_original_names_and_outputs(trained):
    data, models = trained
    assert list(models) == list(fc.MODEL_NAMES)
    batch = {"image": data.test.images[:5].astype(np.float32) / 255}
    probabilities = models[fc.SEX_MODEL].predict(batch, verbose=0)
    assert probabilities.shape == (5, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    for name in fc.REGRESSION_MODELS:
        output = models[name].predict(batch, verbose=0)
        assert output.shape == (5, 1) and np.all((output >= 0) & (output <= 1))


def test_short_training_beats_chance_on_sex(trained):
    data, models = trained
    table = fc.evaluate_condition_models(models, data.test, reference=data.train)
    assert table.loc[fc.SEX_MODEL, "accuracy"] > 0.8


def test_evaluation_table(trained):
    data, models = trained
    table = fc.evaluate_condition_models(models, data.test)
    assert list(table.index) == list(fc.MODEL_NAMES)
    assert {"n", "mse", "mean_mse", "ratio", "accuracy", "balanced_accuracy"} <= set(table.columns)
    assert table.loc["regression_hair_color", "n"] == data.test.targets["hair"].notna().sum()
    np.testing.assert_allclose(table["ratio"], table["mse"] / table["mean_mse"])


def test_predict_conditions_columns(trained):
    data, models = trained
    conditions = fc.predict_conditions(models, data.test.images[:7])
    assert conditions.shape == (7, 4) and conditions.dtype == np.float32
    p_male = models[fc.SEX_MODEL].predict({"image": data.test.images[:7] / 255.0}, verbose=0)[:, 0]
    np.testing.assert_allclose(conditions[:, 0], p_male, rtol=1e-5, atol=1e-6)
    in_order = fc.predict_conditions(list(models.values()), data.test.images[:7])
    np.testing.assert_array_equal(conditions, in_order)


def test_save_and_reload_in_safe_mode(trained, tmp_path):
    data, models = trained
    batch = {"image": data.test.images[:8].astype(np.float32) / 255}
    for name, model in models.items():
        path = tmp_path / f"{name}.keras"
        model.save(path)
        reloaded = keras.saving.load_model(path, safe_mode=True)
        assert reloaded.name == name
        np.testing.assert_allclose(reloaded.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)


def test_scores_balanced_accuracy_and_mean_baseline():
    target = np.array([1, 1, 1, 0, 0.5])
    predicted = np.array([0.9, 0.9, 0.9, 0.9, 0.5])  # calls everything "open": balanced accuracy 0.5
    scores = fc._scores(target, predicted, mean=0.75)
    assert scores["accuracy"] == 0.75 and scores["balanced_accuracy"] == 0.5
    np.testing.assert_allclose(scores["mean_mse"], np.mean((0.75 - target) ** 2))


def test_each_model_trains_its_own_trunk_unless_one_is_shared(trained):
    _, models = trained
    trunks = [layer for model in models.values() for layer in model.layers if layer.name.endswith("_trunk")]
    assert [trunk.name for trunk in trunks] == [f"{name}_trunk" for name in fc.MODEL_NAMES]
    variables = [{id(v) for v in model.weights} for model in models.values()]
    assert sum(map(len, variables)) == len(set().union(*variables))  # no model holds another's weights
    shared = fc.build_condition_models(SIZE, WIDTHS, shared_trunk=True)
    ids = {id(layer) for model in shared.values() for layer in model.layers if layer.name == "face_trunk"}
    assert len(ids) == 1


def test_save_and_load_all_four(trained, tmp_path):
    data, models = trained
    paths = fc.save_condition_models(models, tmp_path / "faces")
    assert [path.name for path in paths] == [f"{name}.keras" for name in fc.MODEL_NAMES]
    reloaded = fc.load_condition_models(tmp_path / "faces")
    np.testing.assert_allclose(
        fc.predict_conditions(reloaded, data.test.images[:4]),
        fc.predict_conditions(models, data.test.images[:4]),
        atol=1e-6,
    )
    paths[2].unlink()
    with pytest.raises(FileNotFoundError, match="no regression_mouth.keras"):
        fc.load_condition_models(tmp_path / "faces")
