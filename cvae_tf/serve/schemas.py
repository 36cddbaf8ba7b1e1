"""Request and response bodies: pydantic checks types, ranges and sizes, so bad input is a 422 naming the field.

``/generate`` takes each condition by its field name. The request model is built when the app
starts, from the fields of the models it serves (``generate_request``), so the OpenAPI schema
lists exactly the names and bounds that the code accepts. Whole numbers are strict: ``true``,
``"7"`` or ``7.0`` for a digit is an error, not a guess.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

MAX_IMAGES = 256
MAX_LATENT = 1024
MAX_SEED = 2**63 - 1

Latent = Annotated[float, Field(ge=-50, le=50, allow_inf_nan=False)]
LatentVector = Annotated[list[Latent], Field(min_length=1, max_length=MAX_LATENT)]


class GenerateBase(BaseModel):
    """``POST /generate``: what every generating model takes; its condition fields are added by name."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"model": "mnist_cvae", "digit": 7, "white": 0.0, "n": 8, "seed": 1}]},
    )

    model: str = Field(min_length=1, max_length=200, description="a name from GET /models")
    n: int = Field(1, ge=1, le=MAX_IMAGES, strict=True, description=f"number of images, at most {MAX_IMAGES}")
    seed: int = Field(
        0, ge=0, le=MAX_SEED, strict=True, description="seed of the prior latents; the same seed gives the same images"
    )
    z: LatentVector | Annotated[list[LatentVector], Field(min_length=1, max_length=MAX_IMAGES)] | None = Field(
        None, description="latent vector(s) to decode instead of seeded ones: one vector for all n images, or n vectors"
    )
    format: Literal["png", "json"] = Field("png", description="'png': one grid image; 'json': pixel arrays and latents")
    columns: int = Field(16, ge=1, le=MAX_IMAGES, strict=True, description="images per row of the PNG grid")

    def values(self) -> dict:
        """The condition values given, by field name."""
        return {name: getattr(self, name) for name in type(self).model_fields if name not in GenerateBase.model_fields}


def generate_request(fields) -> type[GenerateBase]:
    """The request model for ``fields`` (``ConditionField``s of every served model; a name shared
    by several models takes the widest bounds)."""
    merged = {}
    for field in fields:
        low, high, kind = field.minimum, field.maximum, field.type
        if field.name in merged:
            old = merged[field.name]
            low, high = min(low, old[0]), max(high, old[1])
            kind = "integer" if kind == old[2] == "integer" else "number"
        merged[field.name] = (low, high, kind, field.description)
    definitions = {}
    for name, (low, high, kind, description) in merged.items():
        if kind == "integer":
            spec = Field(None, ge=int(low), le=int(high), strict=True, description=description)
            definitions[name] = (int | None, spec)
        else:
            definitions[name] = (
                float | None,
                Field(None, ge=low, le=high, allow_inf_nan=False, description=description),
            )
    return create_model("GenerateRequest", __base__=GenerateBase, **definitions)


class GenerateResponse(BaseModel):
    """``format: "json"``: images (n, H, W) or (n, H, W, 3) in [0, 1], the latents (n, latent) that drew
    them, and the condition values used (each field by name, defaults filled in)."""

    model_config = ConfigDict(extra="allow")

    model: str
    kind: str
    seed: int
    conditions: dict[str, float | int]
    z: list[list[float]]
    images: list


class ReconstructResponse(BaseModel):
    """``POST /reconstruct`` with ``format=json``: the upload as the model saw it and its re-drawings."""

    model_config = ConfigDict(extra="allow")

    model: str
    values: dict[str, float] | None = Field(None, description="the upload's own condition values, as measured")
    input: list
    reconstruction: list
    redrawn: list | None = None


class ModelInfo(BaseModel):
    name: str
    kind: str
    routes: list[str] = Field(description="the routes that take this model: generate, reconstruct, translate")
    conditional: bool
    conditions: list[dict] = Field(description="condition fields: name, type, minimum, maximum, default, description")
    latent_dim: int
    directions: list[int] = Field(description="latent coordinates worth a slider (those that change the drawing most)")
    image_shape: list[int] = Field(description="height and width of the images the model draws")
    channels: int = Field(description="1 (greyscale) or 3 (colour)")
    input: dict | None = Field(None, description="the input image an image-to-image model takes (name, channels, …)")
    best_epoch: int | None = None
