"""The FastAPI app: routes over the model registry, and the explorer page at ``/``.

Routes are plain ``def`` functions, so FastAPI runs them in its thread pool; the models'
``tf.function`` calls are safe to run there side by side. Every 4xx a route can answer is
listed in the OpenAPI schema with its meaning.
"""

import json
import re
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cvae_tf import __version__
from cvae_tf.serve.images import png_grid, read_image
from cvae_tf.serve.limits import DEFAULT_MAX_BODY, BodyLimit
from cvae_tf.serve.registry import RequestError, ServedGenerator, ServedTranslator, load_models
from cvae_tf.serve.schemas import GenerateResponse, ModelInfo, ReconstructResponse, generate_request

STATIC = Path(__file__).parent / "static"
PNG = {"content": {"image/png": {}}}
CHANGES_EXAMPLE = '{"male": 0, "mouth": 1}'
CONDITIONS_HEADER = {
    "X-Conditions": {
        "description": "the upload's own condition values, e.g. male=0.93,hair=0.41 (a PNG answer)",
        "schema": {"type": "string"},
    }
}


def errors(*codes: int) -> dict:
    """OpenAPI ``responses`` for the 4xx answers a route gives, each with a ``detail`` body."""
    meaning = {
        400: "the model cannot answer this request: a condition it needs is missing or one it does not take is "
        "given, z is not of its latent size, changes are not a JSON object of "
        "its condition's names and values in range, or it does not take this route",
        404: "no model of that name is served",
        413: "the body or the uploaded picture is too large",
        415: "the upload is not an image",
        422: "a field is missing, of the wrong type or out of range",
    }
    detail = {"application/json": {"schema": {"type": "object", "properties": {"detail": {}}}}}
    return {code: {"description": meaning[code], "content": detail} for code in codes}


def create_app(models_dir: str | Path, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """An app serving every run under ``models_dir`` (or that one run), loaded now, once."""
    models = load_models(models_dir)
    generators = {name: model for name, model in models.items() if isinstance(model, ServedGenerator)}
    uploads = {name: model for name, model in generators.items() if "reconstruct" in model.routes}
    translators = {name: model for name, model in models.items() if isinstance(model, ServedTranslator)}
    GenerateRequest = generate_request(generators)
    app = FastAPI(
        title="cvae_tf",
        version=__version__,
        description="Draw with the saved C-VAE / VAE runs, translate sketches with pix2pix runs. "
        "The page at / builds its controls from GET /models. The request schemas are those of the models "
        "served: a route that no served model answers is left out.",
    )
    app.state.models = models
    app.add_middleware(BodyLimit, limit=max_body)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestError)
    def request_error(request: Request, err: RequestError):
        return JSONResponse({"detail": str(err)}, status_code=err.status)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, err: RequestValidationError):
        """FastAPI's 422, but an input that JSON cannot hold (NaN, Infinity) is echoed as text, not a 500."""
        details = [{**error, "input": _json_safe(error.get("input"))} for error in jsonable_encoder(err.errors())]
        return JSONResponse({"detail": details}, status_code=422)

    def lookup(name: str, kind: type):
        if name not in models:
            raise HTTPException(404, f"unknown model {name!r}; known models: {', '.join(sorted(models))}")
        model = models[name]
        if not isinstance(model, kind):
            raise RequestError(f"model {name!r} ({model.kind}) does not answer this route; it takes {model.routes}")
        return model

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    @app.get("/health", responses=errors(413))
    def health() -> dict:
        return {"status": "ok", "models": sorted(models)}

    @app.get("/models", responses=errors(413))
    def list_models() -> list[ModelInfo]:
        return [ModelInfo(**model.describe()) for model in models.values()]

    @app.post(
        "/generate",
        response_model=GenerateResponse,
        responses={200: PNG, **errors(400, 404, 413, 422)},
        include_in_schema=bool(generators),
    )
    def generate(request: GenerateRequest):
        model = lookup(request.model, ServedGenerator)
        rows = request.z is not None and isinstance(request.z[0], list)  # a list of vectors: one image each
        n = len(request.z) if rows else request.n
        images, z = model.generate(n, request.seed, request.z, request.values())
        if request.format == "png":
            return Response(png_grid(images, request.columns), media_type="image/png")
        used = {name: value for name, value in request.values().items() if value is not None}
        conditions = {field.name: used.get(field.name, field.default) for field in model.fields}
        return GenerateResponse(
            model=model.name,
            kind=model.kind,
            seed=request.seed,
            conditions=conditions,
            z=np.round(z, 5).tolist(),
            images=np.round(images, 4).tolist(),
            **conditions,
        )

    @app.post(
        "/reconstruct",
        response_model=ReconstructResponse,
        responses={200: {**PNG, "headers": CONDITIONS_HEADER}, **errors(400, 404, 413, 415, 422)},
        include_in_schema=bool(uploads),
    )
    def reconstruct(
        file: UploadFile = File(description="a picture (PNG, JPEG, …); a greyscale model's convention is applied"),
        model: str = Form(min_length=1, max_length=200),
        digit: str | None = Form(
            None, max_length=20, description="the upload's own class, in the model's range; predicted if left out"
        ),
        as_digit: str | None = Form(
            None, max_length=20, description="also re-draw the upload's style as this class of the model"
        ),
        changes: str | None = Form(
            None,
            max_length=2000,
            description="for a model that reads an upload's condition (faces): values to change, a JSON object "
            f"such as {CHANGES_EXAMPLE}; the upload is also re-drawn under its own values so changed",
        ),
        format: Literal["png", "json"] = Form("png"),
    ):
        served = lookup(model, ServedGenerator)
        digit, as_digit = form_integer("digit", digit), form_integer("as_digit", as_digit)
        check_classes(served, digit=digit, as_digit=as_digit)
        changed = parse_changes(changes)
        image = read_image(file.file.read(), file.filename or "upload", served.image_shape, background="black")
        result = served.reconstruct(image, digit, as_digit, changed)
        if format == "png":
            row = [image, result["reconstruction"]] + ([result["redrawn"]] if "redrawn" in result else [])
            field = served.class_field
            headers = {}
            if field is not None:
                headers = {f"X-{field.name.title()}": str(result[field.name])}
                headers[f"X-{field.name.title()}-Source"] = result[f"{field.name}_source"]
            if "values" in result:
                headers["X-Conditions"] = ",".join(f"{name}={value:.4g}" for name, value in result["values"].items())
            return Response(png_grid(np.stack(row)), media_type="image/png", headers=headers)
        arrays = {key: np.round(result[key], 4).tolist() for key in ("reconstruction", "redrawn") if key in result}
        scalars = {key: value for key, value in result.items() if key not in arrays}
        return ReconstructResponse(model=served.name, input=np.round(image, 4).tolist(), **arrays, **scalars)

    @app.post(
        "/translate",
        responses={200: PNG, **errors(400, 404, 413, 415, 422)},
        response_class=Response,
        include_in_schema=bool(translators),
    )
    def translate(
        file: UploadFile = File(description="a sketch: dark strokes on white (a light-on-dark drawing is inverted)"),
        model: str = Form(min_length=1, max_length=200),
    ):
        served = lookup(model, ServedTranslator)
        height, width = served.describe()["image_shape"]
        sketch = read_image(file.file.read(), file.filename or "upload", (height, width, 1), background="white")
        return Response(png_grid(served.translate(sketch)[None]), media_type="image/png")

    def openapi() -> dict:
        """FastAPI's schema, with each upload route's form given per served model (see ``upload_forms``)."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            upload_forms(schema, "/reconstruct", uploads, reconstruct_form)
            upload_forms(schema, "/translate", translators, lambda model: {})
        return app.openapi_schema

    app.openapi = openapi
    return app


UNSET = {"const": "", "description": "empty: the field left out (as an HTML form sends an unset one)"}


def parse_changes(text: str | None) -> dict | None:
    """The ``changes`` form field as name → number (None when left out); the model checks names and ranges."""
    if text is None:
        return None
    try:
        changes = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError(f"changes is not valid JSON ({err}); expected an object such as {CHANGES_EXAMPLE}") from None
    if not isinstance(changes, dict):
        raise RequestError(f"changes must be a JSON object such as {CHANGES_EXAMPLE}, not {text!r}")
    for name, value in changes.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RequestError(f"changes: {name} = {value!r} is not a number")
    return changes


def form_integer(name: str, text: str | None) -> int | None:
    """A form field holding a whole number, written as its digits (None when left out). A form sends
    text, so the schema states the text (``class_text``), and this reads exactly that text."""
    if text is None:
        return None
    if not re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        raise RequestError(f"{name} = {text!r}; expected a whole number written as digits, such as 3")
    return int(text)


def check_classes(served: ServedGenerator, **classes) -> None:
    """The form's class fields within the model's own class range (a digit: 0-9), as its form schema says."""
    field = served.class_field
    for name, value in classes.items():
        if field is not None and value is not None:
            try:
                field.checked(value, 1)
            except ValueError as err:
                raise RequestError(f"{name}: {err}") from None


def reconstruct_form(model: ServedGenerator) -> dict:
    """The form fields of ``/reconstruct`` that depend on the model: its class field's bounds, the changes of
    a condition read from the upload (see ``changes_text``), or neither."""
    field = model.class_field
    if field is not None:
        whole = class_text(int(field.minimum), int(field.maximum))
        return {"digit": whole, "as_digit": whole, "changes": UNSET}
    if not model.reads_images:  # an unconditional model takes no class and no changes
        return {"digit": UNSET, "as_digit": UNSET, "changes": UNSET}
    return {"digit": UNSET, "as_digit": UNSET, "changes": changes_text(model.fields)}


def class_text(low: int, high: int) -> dict:
    """A class in [low, high] as a form holds it: a whole number, or its text (a form sends 3 and "3"
    as the same bytes), or "" for the field left out."""
    pattern = "^(" + "|".join(str(value) for value in range(low, high + 1)) + ")?$"
    return {"type": ["integer", "string"], "minimum": low, "maximum": high, "pattern": pattern}


def changes_text(fields) -> dict:
    """``changes`` for these condition fields: a string holding a JSON object of their names and numbers,
    or "" for the field left out.

    The ``pattern`` states the names and that the values are numbers, as a validator reads it; the
    ranges are in ``contentSchema``, which validators leave to the reader (format ``json``).
    """
    space, number = r"[ \t\n\r]*", r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
    names = "|".join(re.escape(field.name) for field in fields)
    pair = f'{space}"({names})"{space}:{space}{number}{space}'
    values = {field.name: {"type": "number", "minimum": field.minimum, "maximum": field.maximum} for field in fields}
    return {
        "type": "string",
        "format": "json",
        "pattern": rf"^(\{{({pair}(,{pair})*)?\}})?$",
        "contentMediaType": "application/json",
        "contentSchema": {"type": "object", "properties": values, "additionalProperties": False},
    }


def upload_forms(schema: dict, path: str, models: dict, fields) -> None:
    """Make the multipart form of ``path`` what the route accepts: ``model`` one of the names of
    ``models``, the file ``format: image`` in a part of media type ``image/*`` (a picture Pillow
    reads), and where the models' fields differ (``fields(model)``), one branch per model. A form
    value is never null, and an empty one is a field left out (FastAPI's rule for forms). Such a
    field's shared property allows just what some branch does, so a value no served model takes is
    invalid even to a reader that skips oneOf."""
    if path not in schema["paths"]:  # no served model takes this route
        return
    content = schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
    form = schema["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[1]]
    properties = form["properties"]
    # Not any bytes: a picture file (an empty or unreadable one is a 415, as the responses say). The
    # property stays a file (octet-stream content); the part's own media type is the encoding's.
    properties["file"] = {**properties["file"], "format": "image", "minLength": 1}
    content["encoding"] = {"file": {"contentType": "image/*"}}
    properties["model"] = {"type": "string", "enum": list(models), "description": "a name from GET /models"}
    for name, value in properties.items():
        if "anyOf" in value:  # an optional number
            properties[name] = {**value, "anyOf": [kind for kind in value["anyOf"] if kind != {"type": "null"}]}
            properties[name]["anyOf"].append(UNSET)
        elif "enum" in value and name != "model":
            properties[name] = {**value, "enum": [*value["enum"], ""]}
    branches = {name: fields(model) for name, model in models.items()}
    if any(branches.values()):
        form["oneOf"] = [{"properties": {"model": {"const": name}, **branch}} for name, branch in branches.items()]
    for name in dict.fromkeys(key for branch in branches.values() for key in branch):
        kinds = list({json.dumps(branch[name]): branch[name] for branch in branches.values()}.values())
        if len(kinds) > 1:  # every other kind takes "" too: one union without a branch that repeats it
            kinds = [kind for kind in kinds if kind != UNSET]
        shared = {key: value for key, value in properties[name].items() if key not in ("anyOf", "type", "maxLength")}
        properties[name] = {**kinds[0], **shared} if len(kinds) == 1 else {**shared, "anyOf": kinds}


def _json_safe(value):
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)
