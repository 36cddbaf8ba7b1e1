"""The HTTP server for real: uvicorn on a free loopback port, every route, every bad input, concurrency."""

import io
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from helpers import png_bytes, png_pixels, write_vae_run
from PIL import Image

from cvae_tf.cli import build_parser
from cvae_tf.core.errors import RunError
from cvae_tf.families.mnist.data import load_mnist_sample
from cvae_tf.serve.registry import load_models, run_folders
from cvae_tf.serve.server import running_server

MAX_BODY = 256 * 1024


@pytest.fixture(scope="module")
def models_dir(tiny_run, models_folder):
    """A saved_models folder: the tiny C-VAE as "digits", an untrained 2-D VAE as "plain", and clutter."""
    folder = models_folder(digits=tiny_run[0])
    write_vae_run(folder / "plain")
    (folder / ".digits.training").mkdir()  # a training work folder: not a model
    (folder / "notes").mkdir()  # no manifest: not a model
    return folder


@pytest.fixture(scope="module")
def url(models_dir):
    with running_server(models_dir, max_body=MAX_BODY) as base:
        yield base


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as session:
        yield session


@pytest.fixture(scope="module")
def real_digit():
    """A real MNIST "3" as a PNG (white on black), with its label."""
    sample = load_mnist_sample()
    index = int(np.flatnonzero(sample.labels == 3)[0])
    return png_bytes(sample.images[index]), 3


# --- loading ---------------------------------------------------------------------------------


def test_models_dir_holds_runs_by_folder_name_and_a_single_run_folder_works_too(models_dir, tiny_run):
    assert sorted(run_folders(models_dir)) == ["digits", "plain"]
    assert list(run_folders(tiny_run[0])) == [tiny_run[0].name]
    with pytest.raises(RunError, match="no run folder"):
        load_models(models_dir / "notes")
    with pytest.raises(RunError, match="no such folder"):
        load_models(models_dir / "missing")


# --- routes ----------------------------------------------------------------------------------


def test_health_and_models_list_kinds_schemas_and_latent_sizes(client):
    assert client.get("/health").json() == {"status": "ok", "models": ["digits", "plain"]}
    models = {model["name"]: model for model in client.get("/models").json()}
    digits, plain = models["digits"], models["plain"]
    assert (digits["kind"], digits["conditional"], digits["latent_dim"]) == ("mnist_cvae", True, 8)
    schema = {field["name"]: (field["type"], field["minimum"], field["maximum"]) for field in digits["conditions"]}
    assert schema == {"digit": ("integer", 0, 9), "white": ("number", -1, 1)}
    assert len(set(digits["directions"])) == 4 and all(0 <= i < 8 for i in digits["directions"])
    assert (plain["kind"], plain["conditional"], plain["conditions"], plain["latent_dim"]) == (
        "conv_vae",  # the run's manifest says mnist_vae: an old name loads under the new one
        False,
        [],
        2,
    )
    assert plain["directions"] == [0, 1]  # a 2-D latent: both coordinates


def test_openapi_schema_and_docs_page(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/models", "/generate", "/reconstruct"} <= set(paths)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_page_and_its_script_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="digit-image"' in page.text
    assert "backend_server.js" in client.get("/static/explorer.js").text  # the page asks the server through it
    assert "/generate" in client.get("/static/backend_server.js").text


def test_generate_png_is_a_grid_and_the_same_seed_gives_the_same_bytes(client):
    request = {"model": "digits", "digit": 7, "white": 0.0, "n": 8, "seed": 1}
    first, again = client.post("/generate", json=request), client.post("/generate", json=request)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content == again.content
    assert Image.open(io.BytesIO(first.content)).size == (8 * 28, 28)
    other = client.post("/generate", json={**request, "seed": 2})
    assert np.abs(png_pixels(other.content).astype(int) - png_pixels(first.content)).mean() > 1
    grid = client.post("/generate", json={**request, "n": 20, "columns": 5})
    assert Image.open(io.BytesIO(grid.content)).size == (5 * 28, 4 * 28)


def test_generate_json_returns_pixels_and_latents_that_reproduce_them(client):
    answer = client.post("/generate", json={"model": "digits", "digit": 2, "n": 3, "seed": 5, "format": "json"}).json()
    images, z = np.array(answer["images"]), np.array(answer["z"])
    assert images.shape == (3, 28, 28) and z.shape == (3, 8)
    assert images.min() >= 0 and images.max() <= 1 and images.std() > 0.05
    assert (answer["digit"], answer["white"], answer["kind"]) == (2, 0.0, "mnist_cvae")
    again = client.post(
        "/generate", json={"model": "digits", "digit": 2, "n": 3, "z": z.tolist(), "format": "json"}
    ).json()
    np.testing.assert_allclose(again["images"], images, atol=1e-3)
    one = client.post(
        "/generate", json={"model": "digits", "digit": 2, "n": 2, "z": z[0].tolist(), "format": "json"}
    ).json()
    np.testing.assert_allclose(one["images"][0], one["images"][1])  # one vector: every image alike
    np.testing.assert_allclose(one["images"][0], images[0], atol=1e-3)


def test_the_digit_and_white_conditions_change_the_drawing(client):
    def mean_pixel(**condition):
        request = {"model": "digits", "n": 64, "seed": 3, "format": "json", **condition}
        return np.array(client.post("/generate", json=request).json()["images"]).mean()

    assert mean_pixel(digit=1, white=1.0) > mean_pixel(digit=1, white=-1.0)
    assert mean_pixel(digit=8) > mean_pixel(digit=1)  # an 8 has more ink than a 1


def test_unconditional_model_generates_without_a_condition_and_refuses_one(client):
    answer = client.post("/generate", json={"model": "plain", "n": 2, "seed": 0, "format": "json"})
    assert answer.status_code == 200 and np.array(answer.json()["images"]).shape == (2, 28, 28)
    refused = client.post("/generate", json={"model": "plain", "digit": 3})
    assert refused.status_code == 400 and "unconditional" in refused.json()["detail"]


def test_reconstruct_with_the_given_class_and_as_another_digit(client, real_digit):
    data, label = real_digit
    files = {"file": ("three.png", data, "image/png")}
    answer = client.post("/reconstruct", files=files, data={"model": "digits", "digit": str(label)})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert (answer.headers["x-digit"], answer.headers["x-digit-source"]) == ("3", "given")
    assert Image.open(io.BytesIO(answer.content)).size == (2 * 28, 28)  # upload, reconstruction
    redrawn = client.post("/reconstruct", files=files, data={"model": "digits", "digit": "3", "as_digit": "5"})
    assert Image.open(io.BytesIO(redrawn.content)).size == (3 * 28, 28)  # … and the re-drawing as 5
    result = client.post(
        "/reconstruct", files=files, data={"model": "digits", "digit": "3", "as_digit": "5", "format": "json"}
    ).json()
    upload, recon, five = (np.array(result[key]) for key in ("input", "reconstruction", "redrawn"))
    assert upload.shape == recon.shape == five.shape == (28, 28)
    assert np.abs(recon - upload).mean() < np.abs(np.zeros_like(upload) - upload).mean()  # closer than a blank
    assert np.abs(five - recon).max() > 0.01 and result["as_digit"] == 5  # another digit, another drawing
    same = client.post(
        "/reconstruct", files=files, data={"model": "digits", "digit": "3", "as_digit": "3", "format": "json"}
    ).json()
    np.testing.assert_allclose(same["redrawn"], recon, atol=1e-3)  # re-drawn as itself: the reconstruction


def test_reconstruct_predicts_the_class_when_not_given_and_inverts_dark_ink_on_paper(client, real_digit):
    data, _ = real_digit
    pixels = png_pixels(data)
    light = client.post(
        "/reconstruct",
        files={"file": ("paper.png", png_bytes(255 - pixels))},
        data={"model": "digits", "format": "json"},
    ).json()
    dark = client.post(
        "/reconstruct", files={"file": ("three.png", data)}, data={"model": "digits", "format": "json"}
    ).json()
    assert light["digit_source"] == "predicted" and 0 <= light["digit"] <= 9
    np.testing.assert_allclose(light["input"], dark["input"], atol=1e-3)
    assert light["digit"] == dark["digit"]


def test_reconstruct_with_an_unconditional_model(client, real_digit):
    files = {"file": ("three.png", real_digit[0])}
    answer = client.post("/reconstruct", files=files, data={"model": "plain", "format": "json"})
    assert answer.status_code == 200 and "digit" not in answer.json()
    refused = client.post("/reconstruct", files=files, data={"model": "plain", "as_digit": "5"})
    assert refused.status_code == 400 and "unconditional" in refused.json()["detail"]


# --- bad input: a 4xx whose message says what was wrong ----------------------------------------


def field_errors(response) -> dict:
    return {error["loc"][-1]: error["msg"] for error in response.json()["detail"]}


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"digit": 10}, "digit", "less than or equal to 9"),
        ({"digit": -1}, "digit", "greater than or equal to 0"),
        ({"digit": 2.5}, "digit", "integer"),
        ({"digit": True}, "digit", "integer"),
        ({"digit": "7"}, "digit", "integer"),
        ({"white": 1.5}, "white", "less than or equal to 1"),
        ({"n": 257}, "n", "less than or equal to 256"),
        ({"n": 0}, "n", "greater than or equal to 1"),
        ({"format": "gif"}, "format", "'png' or 'json'"),
        ({"seed": -3}, "seed", "greater than or equal to 0"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"model": ""}, "model", "at least 1 character"),
    ],
)
def test_generate_rejects_out_of_range_fields_naming_them(client, change, field, message):
    answer = client.post("/generate", json={"model": "digits", "digit": 7, **change})
    assert answer.status_code == 422
    assert message in field_errors(answer)[field]


def test_generate_rejects_a_z_of_the_wrong_length_and_draws_one_image_per_vector_of_a_list(client):
    short = client.post("/generate", json={"model": "digits", "digit": 7, "z": [0.0] * 5})
    assert (
        short.status_code == 400
        and "z has 5 values" in short.json()["detail"]
        and "latent size 8" in short.json()["detail"]
    )
    rows = client.post(
        "/generate", json={"model": "digits", "digit": 7, "n": 3, "z": [[0.0] * 8] * 2, "format": "json"}
    )
    assert rows.status_code == 200 and len(rows.json()["images"]) == 2  # a list of vectors: one image each
    ragged = client.post("/generate", json={"model": "digits", "digit": 7, "n": 2, "z": [[0.0] * 8, [0.0] * 7]})
    assert ragged.status_code == 400 and "z has 7 and 8 values per vector" in ragged.json()["detail"]
    nan = client.post(
        "/generate",
        content='{"model": "digits", "digit": 7, "z": [NaN, 0, 0, 0, 0, 0, 0, 0]}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422 and "finite" in json.dumps(nan.json())


def test_generate_needs_a_digit_for_a_conditional_model_and_valid_json(client):
    answer = client.post("/generate", json={"model": "digits"})
    assert answer.status_code == 400 and "needs 'digit'" in answer.json()["detail"]
    broken = client.post("/generate", content="{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "JSON" in json.dumps(broken.json())


@pytest.mark.parametrize("name", ["nope", "../digits", "/etc/passwd", "digits/../plain"])
def test_unknown_model_is_404_listing_the_known_names(client, name):
    answer = client.post("/generate", json={"model": name, "digit": 1})
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"unknown model {name!r}; known models: digits, plain"
    upload = client.post("/reconstruct", files={"file": ("x.png", png_bytes(np.zeros((28, 28))))}, data={"model": name})
    assert upload.status_code == 404 and "known models: digits, plain" in upload.json()["detail"]


def test_reconstruct_rejects_a_non_image_upload(client, real_digit):
    answer = client.post(
        "/reconstruct", files={"file": ("notes.txt", b"hello, not a picture")}, data={"model": "digits"}
    )
    assert answer.status_code == 415 and "'notes.txt' is not an image" in answer.json()["detail"]
    cut = real_digit[0][: len(real_digit[0]) // 2]
    truncated = client.post("/reconstruct", files={"file": ("cut.png", cut)}, data={"model": "digits"})
    assert truncated.status_code == 415 and "cut.png" in truncated.json()["detail"]


def test_reconstruct_rejects_bad_fields_and_a_missing_file(client, real_digit):
    files = {"file": ("three.png", real_digit[0])}
    bad = client.post("/reconstruct", files=files, data={"model": "digits", "as_digit": "11"})
    assert bad.status_code == 400 and "as_digit: digit = [11.0] out of range" in bad.json()["detail"]
    assert "expected whole numbers 0 … 9" in bad.json()["detail"]  # the model's own range, not a fixed one
    own = client.post("/reconstruct", files=files, data={"model": "digits", "digit": "-1"})
    assert own.status_code == 400 and own.json()["detail"].startswith("digit: ")
    for text in ("4.0", " 4", "04", "four"):  # the schema's text of a class is its digits, nothing else
        odd = client.post("/reconstruct", files=files, data={"model": "digits", "digit": text})
        assert odd.status_code == 400 and f"digit = {text!r}; expected a whole number" in odd.json()["detail"], text
    missing = client.post("/reconstruct", data={"model": "digits"})
    assert missing.status_code == 422 and "file" in field_errors(missing)


def test_oversize_bodies_are_413(client):
    big = client.post("/reconstruct", files={"file": ("big.png", b"\0" * (MAX_BODY + 1))}, data={"model": "digits"})
    assert big.status_code == 413 and f"limit of {MAX_BODY:,} bytes" in big.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(MAX_BODY // 8192 + 2):
            yield b"x" * 8192

    streamed = client.post("/generate", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "limit" in streamed.json()["detail"]
    huge = client.post(
        "/reconstruct", files={"file": ("wide.png", png_bytes(np.zeros((2, 5000))))}, data={"model": "digits"}
    )
    assert huge.status_code == 413 and "5000×2 pixels" in huge.json()["detail"]
    assert client.get("/health").status_code == 200  # still serving


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_requests_all_answer_with_the_same_images_as_one_at_a_time(client, url):
    requests = [{"model": "digits", "digit": seed % 10, "n": 4, "seed": seed} for seed in range(48)]
    expected = [client.post("/generate", json=request).content for request in requests[:8]]

    def call(request):
        with httpx.Client(base_url=url, timeout=120) as own:
            return own.post("/generate", json=request)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, requests))
    assert [answer.status_code for answer in answers] == [200] * len(requests)
    assert [answer.content for answer in answers[:8]] == expected
    assert len({answer.content for answer in answers}) == len(requests)


# --- the command --------------------------------------------------------------------------------


def test_cli_serve_defaults_to_loopback_port_8000():
    args = build_parser().parse_args(["serve", "saved_models"])
    assert (args.host, args.port, str(args.models)) == ("127.0.0.1", 8000, "saved_models")


def test_cvae_tf_serve_answers_over_http_until_stopped(tiny_run, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "cvae_tf.cli", "serve", str(tiny_run[0]), "--port", str(port)]
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "cvae-tf serve did not answer within 120 s"
                time.sleep(0.5)
        assert health.json() == {"status": "ok", "models": [tiny_run[0].name]}
    finally:
        process.terminate()
        process.wait(timeout=30)
