"""A run's drawing model as files other runtimes load: ONNX (onnxruntime), TFLite (the TFLite
interpreter) or a SavedModel (``tf.saved_model.load``, TF Serving). Each is written into a
temporary folder and renamed into place, beside an ``export.json`` that names its inputs."""

from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf

from cvae_tf.core.errors import RunError
from cvae_tf.core.saving import atomic_folder
from cvae_tf.export.models import Exportable, exportable

OPSET = 17
FORMATS = ("onnx", "tflite", "savedmodel")


def to_onnx(exported: Exportable, path: Path) -> None:
    import tf2onnx  # in the export extra: pip install 'cvae_tf[export]'

    function = exported.function()
    tf2onnx.convert.from_function(
        function, input_signature=function.input_signature, opset=OPSET, output_path=str(path)
    )


def to_tflite(exported: Exportable, path: Path) -> None:
    function = exported.function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
    path.write_bytes(converter.convert())


def to_savedmodel(exported: Exportable, path: Path) -> None:
    exported.model.export(path, format="tf_saved_model", verbose=False)


WRITERS = {
    "onnx": (to_onnx, "model.onnx"),
    "tflite": (to_tflite, "model.tflite"),
    "savedmodel": (to_savedmodel, "saved_model"),
}


def export_format(run: str | Path, fmt: str, output: str | Path, overwrite: bool = False) -> Path:
    """Write ``run``'s model as ``fmt`` into the folder ``output``, which must be new unless ``overwrite``."""
    if fmt not in WRITERS:
        raise ValueError(f"export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    output = fresh(output, overwrite)
    exported = exportable(run)
    write, filename = WRITERS[fmt]
    with atomic_folder(output) as folder:
        write(exported, folder / filename)
        (folder / "export.json").write_text(json.dumps(description(exported, fmt, filename), indent=2))
    return output


def fresh(output: str | Path, overwrite: bool) -> Path:
    """``output`` as a Path; an existing one is an error unless ``overwrite`` (then replaced when done)."""
    output = Path(output)
    if output.exists() and not overwrite:
        raise RunError(f"{output} exists; export writes a new folder (give --force to replace it)")
    return output


def description(exported: Exportable, fmt: str, filename: str) -> dict:
    """What a client needs beside the file: the inputs, the output's range, the run's schema and condition map."""
    model = exported.model
    output = "[-1, 1] (tanh)" if exported.schema["input"] else "[0, 1]"
    return {
        "format": fmt,
        "file": filename,
        "inputs": {name: [None, *model.input[name].shape[1:]] for name in exported.inputs()},
        "output": {"shape": [None, *model.output.shape[1:]], "range": output},
        "schema": exported.schema,
        "condition_encoding": exported.encoding,
    }
