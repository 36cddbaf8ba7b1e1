"""The FastAPI app: routes over the model registry, and the explorer page at ``/``.

Routes are plain ``def`` functions, so FastAPI runs them in its thread pool; the models'
``tf.function`` calls are safe to run there side by side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cvae_tf import __version__
from cvae_tf.serve.images import png_grid, read_digit
from cvae_tf.serve.limits import DEFAULT_MAX_BODY, BodyLimit
from cvae_tf.serve.registry import RequestError, load_models
from cvae_tf.serve.schemas import GenerateRequest, GenerateResponse, ModelInfo, ReconstructResponse

STATIC = Path(__file__).parent / "static"


def create_app(models_dir: str | Path, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """An app serving every run under ``models_dir`` (or that one run), loaded now, once."""
    models = load_models(models_dir)
    app = FastAPI(
        title="cvae_tf",
        version=__version__,
        description="Draw digits with the saved C-VAE / VAE runs. The page at / explores them with sliders.",
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
        errors = [{**error, "input": _json_safe(error.get("input"))} for error in jsonable_encoder(err.errors())]
        return JSONResponse({"detail": errors}, status_code=422)

    def lookup(name: str):
        if name not in models:
            raise HTTPException(404, f"unknown model {name!r}; known models: {', '.join(sorted(models))}")
        return models[name]

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "models": sorted(models)}

    @app.get("/models")
    def list_models() -> list[ModelInfo]:
        return [ModelInfo(**model.describe()) for model in models.values()]

    @app.post("/generate", response_model=GenerateResponse, responses={200: {"content": {"image/png": {}}}})
    def generate(request: GenerateRequest):
        model = lookup(request.model)
        images, z = model.generate(request.n, request.seed, request.z, request.digit, request.white)
        if request.format == "png":
            return Response(png_grid(images, request.columns), media_type="image/png")
        return GenerateResponse(
            model=model.name,
            kind=model.kind,
            digit=request.digit,
            seed=request.seed,
            white=None if request.digit is None else (request.white or 0.0),
            z=np.round(z, 5).tolist(),
            images=np.round(images, 4).tolist(),
        )

    @app.post("/reconstruct", response_model=ReconstructResponse, responses={200: {"content": {"image/png": {}}}})
    def reconstruct(
        file: UploadFile = File(
            description="a picture of one digit (PNG, JPEG, …); dark ink on light paper is inverted"
        ),
        model: str = Form(min_length=1, max_length=200),
        digit: int | None = Form(None, ge=0, le=9, description="the upload's own class; predicted if left out"),
        as_digit: int | None = Form(None, ge=0, le=9, description="also re-draw the upload's style as this digit"),
        format: Literal["png", "json"] = Form("png"),
    ):
        served = lookup(model)
        image = read_digit(file.file.read(), file.filename or "upload")
        result = served.reconstruct(image, digit, as_digit)
        if format == "png":
            row = [image, result["reconstruction"]] + ([result["redrawn"]] if "redrawn" in result else [])
            headers = (
                {"X-Digit": str(result["digit"]), "X-Digit-Source": result["digit_source"]} if "digit" in result else {}
            )
            return Response(png_grid(np.stack(row)), media_type="image/png", headers=headers)
        arrays = {key: np.round(result[key], 4).tolist() for key in ("reconstruction", "redrawn") if key in result}
        scalars = {key: value for key, value in result.items() if key not in arrays}
        return ReconstructResponse(model=served.name, input=np.round(image, 4).tolist(), **arrays, **scalars)

    return app


def _json_safe(value):
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)
