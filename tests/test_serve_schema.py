"""The server against its own OpenAPI schema: schemathesis generates requests from the schema
(valid ones, and invalid ones that break one rule) and checks every answer with all its checks:
no 5xx, every status and content type documented, response bodies and headers as the schema
says, schema-valid requests accepted (2xx) and schema-invalid ones refused (4xx).

The models served are real runs: the tiny trained C-VAE ("digits", latent 8, digit and white
conditions), the tiny face C-VAE ("faces", latent 4, four attributes read from an upload and
changed by name), an unconditional VAE ("plain", latent 2) and an untrained image-to-image run
("sketches", 16 × 16), so the per-model request schemas (each model's name, conditions and
latent size) are exercised on every kind and every route.
"""

import io
import json
import os

import keras
import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection
from hypothesis import strategies as st
from fastapi.testclient import TestClient
from helpers import write_vae_run
from PIL import Image
from schemathesis.transport.serialization import Binary

from cvae_tf.core.saving import write_run
from cvae_tf.families.faces.condition import FACE_FIELDS
from cvae_tf.serve.app import create_app


# Examples per route and generation phase, a few hundred requests in all; more by hand, e.g.
# CVAE_TF_SCHEMA_EXAMPLES=500 python -m pytest tests/test_serve_schema.py
EXAMPLES = int(os.environ.get("CVAE_TF_SCHEMA_EXAMPLES", 40))


@st.composite
def pictures(draw):
    """A small picture file Pillow reads: the schema's ``format: image`` for an upload."""
    height, width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    mode = draw(st.sampled_from(["L", "RGB", "RGBA", "P"]))
    kind = draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP"]))
    if kind == "JPEG" and mode in ("RGBA", "P"):
        mode = "RGB"
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    picture = Image.fromarray(pixels).convert(mode)
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return Binary(buffer.getvalue())


schemathesis.openapi.format("image", pictures())
# A face model's ``changes``: a JSON object of some of its fields, each in its range.
FACE_VALUES = {field.name: st.floats(field.minimum, field.maximum) for field in FACE_FIELDS}
schemathesis.openapi.format("json", st.fixed_dictionaries({}, optional=FACE_VALUES).map(json.dumps))


def write_translator_run(path, size=16):
    """A pix2pix run with an untrained one-layer generator: a sketch (size, size, 1) in, a picture out."""
    sketch = keras.Input((size, size, 1), name="sketch")
    picture = keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(sketch)
    generator = keras.Model({"sketch": sketch}, picture, name="pix2pix_generator")
    config = {"model": {"family": "pix2pix"}, "data": {"image_size": [size, size], "channels": 1}}
    return write_run(path, {"generator": generator}, {"family": "pix2pix", "config": config})


@pytest.fixture(scope="module")
def api_schema(tiny_run, face_runs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema_models")
    (folder / "digits").symlink_to(tiny_run[0], target_is_directory=True)
    (folder / "faces").symlink_to(face_runs / "faces", target_is_directory=True)
    write_vae_run(folder / "plain")
    write_translator_run(folder / "sketches")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(folder))

    @schema.hook
    def map_case(context, case):
        """The one rule the schema cannot state: a list of z vectors has 1 or n of them. A valid
        request that draws a list of vectors asks for that many images."""
        body = case.body
        valid = case.meta is not None and case.meta.generation.mode.is_positive
        if valid and case.operation.path == "/generate" and isinstance(body, dict):
            z = body.get("z")
            if isinstance(z, list) and z and isinstance(z[0], list) and len(z) > 1:
                body["n"] = len(z)
        return case

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_answer_agrees_with_the_openapi_schema(case):
    # A multipart form carries every value as text, so a "negative" case that turns the integer 2
    # into the string "2" sends the very same bytes as the valid one; the server is right to accept
    # it. Every other check stays on for the form routes, and every check for the JSON routes.
    multipart = case.operation.path in ("/reconstruct", "/translate")
    case.call_and_validate(excluded_checks=[negative_data_rejection] if multipart else None)


def test_the_schema_states_each_served_model_s_own_names_conditions_and_latent_size(api_schema):
    raw = api_schema.raw_schema
    schemas = raw["components"]["schemas"]
    assert set(raw["paths"]) == {"/health", "/models", "/generate", "/reconstruct", "/translate"}
    choice = schemas["GenerateRequest"]["discriminator"]
    assert (choice["propertyName"], sorted(choice["mapping"])) == ("model", ["digits", "faces", "plain"])
    digits, plain = schemas["GenerateRequest0_digits"], schemas["GenerateRequest2_plain"]
    assert digits["required"] == ["model", "digit"] and plain["required"] == ["model"]
    assert "digit" not in plain["properties"] and plain["additionalProperties"] is False
    vector = digits["properties"]["z"]["anyOf"][0]
    assert (vector["minItems"], vector["maxItems"]) == (8, 8)
    assert plain["properties"]["z"]["anyOf"][0]["maxItems"] == 2
    assert digits["properties"]["seed"]["maximum"] == 2**53 - 1
    upload = schemas["Body_reconstruct_reconstruct_post"]
    assert upload["properties"]["model"]["enum"] == ["digits", "faces", "plain"]
    assert upload["properties"]["file"]["format"] == "image"
    by_model = {branch["properties"]["model"]["const"]: branch["properties"] for branch in upload["oneOf"]}
    assert by_model["plain"]["digit"] == {"const": "", "description": by_model["plain"]["digit"]["description"]}
    assert by_model["digits"]["as_digit"]["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": 9}
    assert schemas["Body_translate_translate_post"]["properties"]["model"]["enum"] == ["sketches"]


def test_a_route_no_served_model_takes_is_left_out_yet_still_answers(tiny_run, tmp_path):
    assert set(create_app(tiny_run[0]).openapi()["paths"]) == {"/health", "/models", "/generate", "/reconstruct"}
    app = create_app(write_translator_run(tmp_path / "sketches"))
    assert set(app.openapi()["paths"]) == {"/health", "/models", "/translate"}
    with TestClient(app) as client:
        answer = client.post("/generate", json={"model": "sketches"})
    assert answer.status_code == 400 and "takes ('translate',)" in answer.json()["detail"]
