"""``/reconstruct`` for the face C-VAE: an upload's own attributes read by the four condition models,
its reconstruction under them, and its re-drawing with some of them changed ("the same face, other sex")."""

import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import face, png_bytes
from PIL import Image

from cvae_tf.serve.app import create_app

NAMES = ["male", "hair", "mouth", "eyes"]


@pytest.fixture(scope="module")
def client(face_runs, tiny_run, models_folder):
    """The tiny face C-VAE as "faces" beside the tiny digit C-VAE as "digits"."""
    with TestClient(create_app(models_folder(faces=face_runs / "faces", digits=tiny_run[0]))) as session:
        yield session


@pytest.fixture(scope="module")
def upload():
    """A synthetic CelebA face as a PNG of 89 × 109 pixels: the model's 16 × 16 is cut from it."""
    return {"file": ("face.png", png_bytes(face((89, 109), male=True, seed=0)), "image/png")}


def reconstruct(client, upload, **form):
    return client.post("/reconstruct", files=upload, data={"model": "faces", "format": "json", **form})


def test_the_face_model_takes_reconstruct_and_its_form_takes_changes_not_a_digit(client):
    models = {model["name"]: model for model in client.get("/models").json()}
    assert models["faces"]["routes"] == ["generate", "reconstruct"]
    form = client.get("/openapi.json").json()["components"]["schemas"]["Body_reconstruct_reconstruct_post"]
    by_model = {branch["properties"]["model"]["const"]: branch["properties"] for branch in form["oneOf"]}
    changes = by_model["faces"]["changes"]["contentSchema"]
    assert list(changes["properties"]) == NAMES and changes["properties"]["male"]["maximum"] == 1
    assert by_model["faces"]["digit"]["const"] == by_model["faces"]["as_digit"]["const"] == ""
    assert by_model["digits"]["changes"]["const"] == "" and by_model["digits"]["digit"]["maximum"] == 9


def test_an_upload_is_read_and_reconstructed_under_its_own_values(client, upload):
    answer = reconstruct(client, upload)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert np.array(result["input"]).shape == np.array(result["reconstruction"]).shape == (16, 16, 3)
    assert list(result["values"]) == NAMES and all(0 <= value <= 1 for value in result["values"].values())
    assert result["redrawn"] is None and result["changes"] is None
    png = client.post("/reconstruct", files=upload, data={"model": "faces"})
    assert Image.open(io.BytesIO(png.content)).size == (2 * 16, 16)  # upload, reconstruction
    shown = dict(pair.split("=") for pair in png.headers["x-conditions"].split(","))
    assert list(shown) == NAMES and float(shown["male"]) == pytest.approx(result["values"]["male"], abs=1e-3)


def test_changes_redraw_the_same_latent_and_the_own_values_give_the_reconstruction_back(client, upload):
    own = reconstruct(client, upload).json()
    as_woman, as_man = (reconstruct(client, upload, changes=json.dumps({"male": male})).json() for male in (0, 1))
    assert as_woman["changes"] == {"male": 0} and as_woman["values"] == own["values"]
    assert np.abs(np.subtract(as_woman["redrawn"], as_man["redrawn"])).max() > 1e-3
    same = reconstruct(client, upload, changes=json.dumps(own["values"])).json()
    np.testing.assert_allclose(same["redrawn"], own["reconstruction"], atol=1e-5)
    png = client.post("/reconstruct", files=upload, data={"model": "faces", "changes": '{"mouth": 1}'})
    assert png.status_code == 200 and Image.open(io.BytesIO(png.content)).size == (3 * 16, 16)


@pytest.mark.parametrize(
    "form, message",
    [
        ({"changes": '{"smile": 1}'}, "unknown condition field(s) ['smile']; this model takes ['male', 'hair'"),
        ({"changes": '{"male": 2}'}, "male = [2.0] out of range; expected 0 … 1"),
        ({"changes": '{"hair": NaN}'}, "hair = [nan] out of range"),
        ({"changes": '{"eyes": "open"}'}, "changes: eyes = 'open' is not a number"),
        ({"changes": "{male: 1"}, "changes is not valid JSON"),
        ({"changes": "[1]"}, "changes must be a JSON object"),
        ({"digit": "3"}, "has no class; change its values ['male', 'hair', 'mouth', 'eyes'] instead"),
        ({"model": "digits", "changes": '{"white": 1}'}, "takes a class to re-draw as, not changes"),
    ],
)
def test_bad_changes_and_a_class_for_a_face_are_400_naming_the_field(client, upload, form, message):
    answer = reconstruct(client, upload, **form)
    assert answer.status_code == 400 and message in answer.json()["detail"]
