"""Exporting a saved run for clients without this library: ONNX, TFLite or SavedModel files
(``formats``), or a static web folder that draws in the visitor's browser (``web``)."""

from cvae_tf.export.formats import FORMATS, export_format
from cvae_tf.export.models import Exportable, exportable
from cvae_tf.export.web import export_web

__all__ = ["FORMATS", "Exportable", "export_format", "export_web", "exportable"]
