"""Request and response bodies: pydantic checks types, ranges and sizes, so bad input is a 422 naming the field.

Whole numbers are strict: ``true``, ``"7"`` or ``7.0`` for a digit is an error, not a guess.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_IMAGES = 256
MAX_LATENT = 1024

Latent = Annotated[float, Field(ge=-50, le=50, allow_inf_nan=False)]
LatentVector = Annotated[list[Latent], Field(min_length=1, max_length=MAX_LATENT)]


class GenerateRequest(BaseModel):
    """``POST /generate``. The condition fields are the MNIST ones; a later kind adds its own here."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "mnist_cvae", "digit": 7, "white": 0.0, "n": 8, "seed": 1}]},
    )

    model: str = Field(min_length=1, max_length=200, description="a name from GET /models")
    digit: int | None = Field(None, ge=0, le=9, strict=True, description="the digit to draw (conditional models)")
    white: float | None = Field(
        None, ge=-1, le=1, allow_inf_nan=False, description="thickness: -1 thin … 1 bold (default 0)"
    )
    n: int = Field(1, ge=1, le=MAX_IMAGES, strict=True, description=f"number of images, at most {MAX_IMAGES}")
    seed: int = Field(
        0, ge=0, le=2**63 - 1, strict=True, description="seed of the prior latents; the same seed gives the same images"
    )
    z: LatentVector | Annotated[list[LatentVector], Field(min_length=1, max_length=MAX_IMAGES)] | None = Field(
        None, description="latent vector(s) to decode instead of seeded ones: one vector for all n images, or n vectors"
    )
    format: Literal["png", "json"] = Field("png", description="'png': one grid image; 'json': pixel arrays and latents")
    columns: int = Field(16, ge=1, le=MAX_IMAGES, strict=True, description="images per row of the PNG grid")


class GenerateResponse(BaseModel):
    """``format: "json"``: images (n, 28, 28) in [0, 1] and the latents (n, latent) that drew them."""

    model: str
    kind: str
    digit: int | None
    white: float | None
    seed: int
    z: list[list[float]]
    images: list[list[list[float]]]


class ReconstructResponse(BaseModel):
    """``POST /reconstruct`` with ``format=json``: the upload as the model saw it and its re-drawings."""

    model: str
    digit: int | None = Field(None, description="the upload's own class (conditional models)")
    digit_source: Literal["given", "predicted"] | None = None
    white: float | None = None
    as_digit: int | None = None
    input: list[list[float]]
    reconstruction: list[list[float]]
    redrawn: list[list[float]] | None = None


class ModelInfo(BaseModel):
    name: str
    kind: str
    conditional: bool
    conditions: list[dict]
    latent_dim: int
    directions: list[int] = Field(description="latent coordinates worth a slider (those that change the drawing most)")
    image_shape: list[int]
    best_epoch: int | None = None
