"""The server against its own OpenAPI schema: schemathesis generates requests from the schema
(valid ones, and invalid ones that break one rule) and checks every answer with all its checks:
no 5xx, every status and content type documented, response bodies and headers as the schema
says, schema-valid requests accepted (2xx) and schema-invalid ones refused (4xx), a form judged as
the server receives it.

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
import jsonschema
import numpy as np
import pytest
import schemathesis
from fastapi.testclient import TestClient
from helpers import write_vae_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.transport.serialization import Binary

from cvae_tf.core.saving import write_run
from cvae_tf.families.faces.condition import FACE_FIELDS
from cvae_tf.serve.app import create_app

# Examples per route and generation phase, a few hundred requests in all; more by hand, e.g.
# CVAE_TF_SCHEMA_EXAMPLES=500 python -m pytest tests/test_serve_schema.py
EXAMPLES = int(os.environ.get("CVAE_TF_SCHEMA_EXAMPLES", "40"))


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
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(folder))


# Every operation the served models give (the schema test below checks this list against the schema).
OPERATIONS = [
    ("GET", "/health"),
    ("GET", "/models"),
    ("POST", "/generate"),
    ("POST", "/reconstruct"),
    ("POST", "/translate"),
]
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# A GET here takes no input, so no request of it can break its schema: it is fuzzed with valid ones only.
CASES = [(*each, mode) for each in OPERATIONS for mode in GenerationMode if each[0] == "POST" or mode.is_positive]


def sent_as_valid(case) -> bool:
    """Whether a form that schemathesis made to break the schema reaches the server as a form the schema
    allows. A form part holds text: 2 and "2" go out as the same bytes, and a list, an object or null
    as no part or as several. Such a request is valid as received, so the check that invalid requests
    are refused cannot judge it; every other check still runs."""
    if case.media_type != "multipart/form-data" or not isinstance(case.body, dict):
        return False
    sent = {}
    for name, value in case.body.items():
        if value is None or isinstance(value, list | dict):
            continue
        if isinstance(value, Binary):
            value = "a picture" if is_picture(value.data) else ""
        sent[name] = json.dumps(value) if isinstance(value, bool) else str(value)
    schema = case.operation.get_body_for_media_type(case.media_type).resolved_schema
    return jsonschema.Draft202012Validator(schema).is_valid(sent)


def is_picture(data: bytes) -> bool:
    try:
        Image.open(io.BytesIO(data)).load()
        return True
    except Exception:
        return False


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[" ".join(each) for each in CASES])
def test_every_answer_agrees_with_the_openapi_schema(api_schema, method, path, mode):
    """Each operation's schema examples and generated requests of one mode (valid or invalid), all checks on."""
    operation = api_schema[path][method]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode.is_positive:
        strategies += operation.get_strategies_from_examples()

    @FUZZ
    @given(st.one_of(strategies))
    def answer_agrees(case):
        received_valid = mode.is_negative and sent_as_valid(case)
        case.call_and_validate(excluded_checks=[negative_data_rejection] if received_valid else None)

    answer_agrees()


def test_the_schema_states_each_served_model_s_own_names_conditions_and_latent_size(api_schema):
    raw = api_schema.raw_schema
    schemas = raw["components"]["schemas"]
    assert {(method.upper(), path) for path, item in raw["paths"].items() for method in item} == set(OPERATIONS)
    assert not any(raw["paths"][path]["get"].get("parameters") for method, path in OPERATIONS if method == "GET")
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
    assert upload["properties"]["file"]["minLength"] == 1
    form = raw["paths"]["/reconstruct"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["encoding"] == {"file": {"contentType": "image/*"}}
    by_model = {branch["properties"]["model"]["const"]: branch["properties"] for branch in upload["oneOf"]}
    assert by_model["plain"]["digit"] == {"const": "", "description": by_model["plain"]["digit"]["description"]}
    classes = {"type": ["integer", "string"], "minimum": 0, "maximum": 9, "pattern": "^(0|1|2|3|4|5|6|7|8|9)?$"}
    assert by_model["digits"]["as_digit"] == by_model["digits"]["digit"] == classes  # "" is the field left out
    assert upload["properties"]["as_digit"]["pattern"] == classes["pattern"]  # the union of the models' forms
    assert schemas["Body_translate_translate_post"]["properties"]["model"]["enum"] == ["sketches"]


def test_a_route_no_served_model_takes_is_left_out_yet_still_answers(tiny_run, tmp_path):
    assert set(create_app(tiny_run[0]).openapi()["paths"]) == {"/health", "/models", "/generate", "/reconstruct"}
    app = create_app(write_translator_run(tmp_path / "sketches"))
    assert set(app.openapi()["paths"]) == {"/health", "/models", "/translate"}
    with TestClient(app) as client:
        answer = client.post("/generate", json={"model": "sketches"})
    assert answer.status_code == 400 and "takes ('translate',)" in answer.json()["detail"]
