"""Request and response bodies: pydantic checks types, ranges and sizes, so bad input is a 422 naming the field.

``/generate`` takes each condition by its field name. The request model is built when the app
starts, from the fields of the models it serves (``generate_request``), so the OpenAPI schema
lists exactly the names and bounds that the code accepts. Numbers are strict: ``true``, ``"7"`` or
``2.5`` for a digit is an error, not a guess, and so is ``true`` or ``"0.5"`` for a number. A whole
number written ``7.0`` is 7, as JSON Schema's ``integer`` has it (JSON has one kind of number).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, create_model

MAX_IMAGES = 256
MAX_LATENT = 1024
MAX_SEED = 2**53 - 1  # exact as a JSON number in every client (a float64, JavaScript's Number)


def _whole(value):
    """7.0 as 7: one number in JSON, an ``integer`` for JSON Schema; anything else is left to the strict check."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Whole = Annotated[int, BeforeValidator(_whole), Field(strict=True)]
Latent = Annotated[float, Field(ge=-50, le=50, allow_inf_nan=False, strict=True)]
LatentVector = Annotated[list[Latent], Field(min_length=1, max_length=MAX_LATENT)]


class GenerateBase(BaseModel):
    """``POST /generate``: what every generating model takes; its condition fields are added by name."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="a name from GET /models")
    n: Whole = Field(
        1,
        ge=1,
        le=MAX_IMAGES,
        description=f"number of images, at most {MAX_IMAGES}; a list of z vectors draws one image each, "
        "whatever n says",
    )
    seed: Whole = Field(
        0, ge=0, le=MAX_SEED, description="seed of the prior latents; the same seed gives the same images"
    )
    z: LatentVector | Annotated[list[LatentVector], Field(min_length=1, max_length=MAX_IMAGES)] | None = Field(
        None,
        description="latent vector(s) to decode instead of seeded ones: one vector for all n images, "
        "or a list of vectors, one image each (their number is n)",
    )
    format: Literal["png", "json"] = Field("png", description="'png': one grid image; 'json': pixel arrays and latents")
    columns: Whole = Field(16, ge=1, le=MAX_IMAGES, description="images per row of the PNG grid")

    def values(self) -> dict:
        """The condition values given, by field name."""
        return {name: getattr(self, name) for name in type(self).model_fields if name not in GenerateBase.model_fields}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """The precise schema (one per served model) where ``generate_request`` gave one."""
        precise = cls.__dict__.get("precise")
        return handler(core_schema if precise is None else precise.core_schema)


def generate_request(models: dict) -> type[GenerateBase]:
    """The request model of ``POST /generate`` for ``models`` (name → a served generator with
    ``fields`` and ``latent_dim``).

    Two models in one. Validation uses every condition field by name (a name shared by several
    models takes the widest bounds), so what only a model can judge (an unknown name, a missing
    condition, a z of the wrong size) is answered by the route as a 404 or 400 naming the
    model. The OpenAPI schema is the precise one: one request schema per served model, chosen
    by ``model`` (a name of exactly that model), with that model's own condition fields (required
    when they have no default) and z vectors of exactly its latent size.
    """
    merged = {}
    for field in (field for model in models.values() for field in model.fields):
        low, high, kind = field.minimum, field.maximum, field.type
        if field.name in merged:
            old = merged[field.name]
            low, high = min(low, old.minimum), max(high, old.maximum)
            kind = "integer" if kind == old.type == "integer" else "number"
        merged[field.name] = replace(field, minimum=low, maximum=high, type=kind)
    loose = create_model("GenerateRequest", __base__=GenerateBase, **condition_fields(merged.values()))
    precise = [model_request(name, model, index) for index, (name, model) in enumerate(models.items())]
    if precise:  # else no model generates: the route is left out of the schema
        union = precise[0] if len(precise) == 1 else Annotated[Union[tuple(precise)], Field(discriminator="model")]
        loose.precise = TypeAdapter(union)
    return loose


def condition_fields(fields, required=False) -> dict:
    """Pydantic field definitions of condition fields; with ``required``, a field without a default must be given."""
    definitions = {}
    for field in fields:
        must = required and field.default is None
        if field.type == "integer":
            kind = Whole if must else Whole | None
            spec = Field(
                ... if must else None,
                ge=int(field.minimum),
                le=int(field.maximum),
                description=field.description,
            )
        else:
            kind = float if must else float | None
            spec = Field(
                ... if must else None,
                ge=field.minimum,
                le=field.maximum,
                allow_inf_nan=False,
                strict=True,
                description=field.description,
            )
        definitions[field.name] = (kind, spec)
    return definitions


def model_request(name: str, model, index: int) -> type[GenerateBase]:
    """The request schema of one served model (see ``generate_request``)."""
    size = model.latent_dim
    vector = Annotated[list[Latent], Field(min_length=size, max_length=size)]
    example = {"model": name, "n": 8, "seed": 1}
    needed = [field for field in model.fields if field.default is None]
    example.update({field.name: int(field.minimum) if field.type == "integer" else field.minimum for field in needed})
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})
    base = type("GenerateOne", (GenerateBase,), {"model_config": config, "__module__": __name__})
    return create_model(
        f"GenerateRequest{index}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}",
        __base__=base,
        model=(Literal[name], Field(description="this model's name")),
        z=(
            vector | Annotated[list[vector], Field(min_length=1, max_length=MAX_IMAGES)] | None,
            Field(
                None,
                description=f"latent vector(s) of {size} values: one for all n images, "
                "or a list of them, one image each (their number is n)",
            ),
        ),
        **condition_fields(model.fields, required=True),
    )


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
    changes: dict[str, float] | None = Field(None, description="the values changed for the re-drawing, by name")
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
