"""``cvae-tf export RUN --format onnx|tflite|savedmodel DIR``: each file reloads in its own runtime
(onnxruntime, the TFLite interpreter, ``tf.saved_model.load``) and draws what the Keras model draws."""

import json
import warnings

import numpy as np
import pytest
import tensorflow as tf

from cvae_tf.cli import main
from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import SavedRun
from cvae_tf.export import export_format, exportable
from cvae_tf.export.models import condition_encoding, features

# float32 through another graph: reordered sums; measured about 1e-7 (ONNX) and 1e-6 (TFLite).
TOLERANCE = 1e-5


def inputs_for(model, n=3, size=32):
    rng = np.random.default_rng(1)
    return {
        name: rng.random((n, *[size if d is None else d for d in model.input[name].shape[1:]])).astype(np.float32)
        for name in model.input
    }


def keras_output(model, inputs):
    return model({name: tf.constant(value) for name, value in inputs.items()}, training=False).numpy()


@pytest.fixture(params=["digits", "sketch"])
def run_path(request, tiny_run, sketch_run):
    return tiny_run[0] if request.param == "digits" else sketch_run


def test_onnx_reloads_in_onnxruntime_and_matches_keras(run_path, tmp_path):
    import onnxruntime

    folder = export_format(run_path, "onnx", tmp_path / "onnx")
    described = json.loads((folder / "export.json").read_text())
    session = onnxruntime.InferenceSession(str(folder / described["file"]))
    model = exportable(run_path).model
    inputs = inputs_for(model)
    assert sorted(i.name for i in session.get_inputs()) == sorted(described["inputs"])
    out = session.run(None, inputs)[0]
    assert np.abs(out - keras_output(model, inputs)).max() < TOLERANCE


def test_tflite_reloads_in_the_interpreter_and_matches_keras(run_path, tmp_path):
    folder = export_format(run_path, "tflite", tmp_path / "tflite")
    model = exportable(run_path).model
    inputs = inputs_for(model, n=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tf.lite.Interpreter's notice that LiteRT replaces it
        interpreter = tf.lite.Interpreter(model_path=str(folder / "model.tflite"))
    for detail in interpreter.get_input_details():
        interpreter.resize_tensor_input(detail["index"], inputs[detail["name"]].shape)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], inputs[detail["name"]])
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert np.abs(out - keras_output(model, inputs)).max() < TOLERANCE


def test_savedmodel_reloads_with_tf_saved_model_load_and_matches_keras(tiny_run, tmp_path):
    folder = export_format(tiny_run[0], "savedmodel", tmp_path / "sm")
    loaded = tf.saved_model.load(str(folder / "saved_model"))
    model = exportable(tiny_run[0]).model
    inputs = inputs_for(model)
    out = loaded.serve({name: tf.constant(value) for name, value in inputs.items()}).numpy()
    assert np.abs(out - keras_output(model, inputs)).max() < 1e-6


def test_the_condition_map_gives_the_runs_own_vectors(tiny_run):
    run = SavedRun.open(tiny_run[0])
    condition = run.condition
    encoding = condition_encoding(condition, condition.fields)
    values = {"digit": np.array([7, 0, 3]), "white": np.array([0.5, -1.0, 0.25], np.float32)}
    built = features(condition.fields, values, 3) @ np.array(encoding["weights"]) + np.array(encoding["bias"])
    assert np.abs(built - condition.vectors(3, **values)).max() < 1e-6


def test_a_condition_that_is_not_linear_in_its_fields_is_refused(tiny_run):
    condition = SavedRun.open(tiny_run[0]).condition

    class Squared:
        kind, fields = "squared", condition.fields

        def vectors(self, n, **values):
            return condition.vectors(n, **values) ** 2 + np.asarray(values["white"])[:, None] ** 2

    with pytest.raises(RunError, match="not linear"):
        condition_encoding(Squared(), condition.fields)


def test_an_existing_folder_is_kept_unless_forced(tiny_run, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    with pytest.raises(RunError, match="exists"):
        export_format(tiny_run[0], "onnx", target)
    assert (target / "mine.txt").read_text() == "keep me" and not (target / "model.onnx").exists()
    assert main(["export", str(tiny_run[0]), "--format", "onnx", str(target)]) == 2
    assert main(["export", str(tiny_run[0]), "--format", "onnx", str(target), "--force"]) == 0
    assert (target / "model.onnx").exists() and not (target / "mine.txt").exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no temporary folder left


def test_a_run_that_draws_nothing_is_refused_with_its_family(tmp_path, capsys):
    classifier = tmp_path / "classifier"  # a digit classifier's run: its family has no inference object
    classifier.mkdir()
    (classifier / "manifest.json").write_text(json.dumps({"family": "classify_nums", "models": {}, "config": {}}))
    assert main(["export", str(classifier), "--format", "onnx", str(tmp_path / "x")]) == 2
    assert "the classify_nums family has no decoder or generator" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["export", str(classifier), "--web", str(tmp_path / "page")]) == 2
    assert not (tmp_path / "page").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["classifier"]
