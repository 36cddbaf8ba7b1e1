import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices, so MirroredStrategy can be tested without GPUs. This must happen
# before TensorFlow creates any op, hence at import of the conftest.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

from cvae_tf.core.config import RunConfig  # noqa: E402


def tiny_config(epochs=2, family="mnist_cvae", **training) -> RunConfig:
    """A small model on the bundled 5,000-digit sample: seconds per epoch, real learning."""
    config = RunConfig.for_family(family)
    config.model.latent_dim = 8
    config.model.filters = [8, 16]
    config.model.dense_units = 64
    config.training.epochs = epochs
    config.training.batch_size = 128
    for key, value in training.items():
        setattr(config.training, key, value)
    return config


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run folder trained for two epochs, shared by the tests that only read it."""
    from cvae_tf.core.runs import train

    output = tmp_path_factory.mktemp("runs") / "tiny"
    manifest = train(tiny_config(), output, verbose=0)
    return output, manifest


@pytest.fixture(scope="session")
def vae_run(tmp_path_factory):
    """The vanilla VAE (family conv_vae) trained two epochs on the bundled sample, shared by the tests that
    only read it."""
    from cvae_tf.core.runs import train

    output = tmp_path_factory.mktemp("runs") / "vae"
    train(tiny_config(epochs=2, family="conv_vae"), output, verbose=0)
    return output


@pytest.fixture(scope="session")
def face_runs(tmp_path_factory):
    """The four condition models ("conditions") and a face C-VAE on them ("faces"), two epochs each on
    60 synthetic CelebA faces at 16 × 16; shared by the face family and face serving tests."""
    from helpers import make_celeba

    from cvae_tf.core.runs import train

    root = tmp_path_factory.mktemp("celeba")
    make_celeba(root, n=60)
    runs = tmp_path_factory.mktemp("face_runs")
    conditions, cvae = RunConfig.for_family("face_conditions"), RunConfig.for_family("face_cvae")
    conditions.data.source, conditions.data.image_size = str(root), [16, 16]
    conditions.data.eyes = cvae.data.eyes = "narrow_eyes"  # synthetic faces have no landmarks to find
    conditions.model.widths = [8, 16]
    conditions.training.epochs, conditions.training.batch_size = 2, 16
    train(conditions, runs / "conditions", verbose=0)
    cvae.data.source, cvae.data.image_size = str(root), [16, 16]
    cvae.model.condition_models, cvae.model.latent_dim = str(runs / "conditions"), 4
    cvae.model.filters, cvae.model.dense_units = [8, 16], 32
    cvae.training.epochs, cvae.training.batch_size = 2, 16
    cvae.training.sharpness = "frequency"  # off by default on faces; the switch from epoch 2 is tested on it
    train(cvae, runs / "faces", verbose=0)
    return runs


@pytest.fixture(scope="session")
def chromium():
    """Debian's (chromium, chromedriver) for the page tests. Missing, they skip the test on a developer's
    machine but fail it under ``CI=true``, where a skipped browser test would pass a broken set-up."""
    import selenium.webdriver  # noqa: F401  (in the dev extra)
    from helpers import missing_for_the_tests

    from cvae_tf.serve.browser import chromium_paths

    paths = chromium_paths()
    if not all(paths):
        message = "chromium / chromedriver not found: run scripts/setup.sh (apt-get install chromium chromium-driver)"
        missing_for_the_tests(message)
    return paths


@pytest.fixture(scope="session")
def models_folder(tmp_path_factory):
    """Makes a saved-models folder that holds the given run folders under the given names (linked)."""

    def make(**runs):
        folder = tmp_path_factory.mktemp("models")
        for name, run in runs.items():
            (folder / name).symlink_to(run, target_is_directory=True)
        return folder

    return make


@pytest.fixture
def digits():
    """Forty synthetic 28x28 uint8 'digits' (four per class) with their labels."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 4)
    images = (rng.random((40, 28, 28)) < 0.1 + 0.02 * labels[:, None, None]) * 255
    return images.astype(np.uint8), labels


@pytest.fixture(scope="session")
def sample_data():
    from cvae_tf.families.mnist.data import load_mnist

    return load_mnist("sample", seed=0)


@pytest.fixture(scope="session")
def sample_classifier(tmp_path_factory):
    """``classify_nums`` trained two epochs on the bundled sample by ``cvae-tf train classify_nums``
    (its defaults read the MNIST formats), saved as a run folder."""
    from cvae_tf.cli import main
    from cvae_tf.core.saving import SavedRun
    from cvae_tf.families.mnist.evaluate import CLASSIFIER

    folder = tmp_path_factory.mktemp("judge") / CLASSIFIER
    assert main(["train", CLASSIFIER, "--data", "sample", "--epochs", "2", "--output", str(folder), "--quiet"]) == 0
    return folder, SavedRun.open(folder).model("classifier")


@pytest.fixture(scope="session")
def sketch_run(tmp_path_factory):
    """A pix2pix run (base 8, one residual block, resize upsampling) trained one epoch on four 32 × 32
    pairs, half of its inputs swapped for sketch-like drawings; six test pairs. Shared by the pix2pix,
    export, evaluation and page tests."""
    from helpers import pix2pix_config, write_pairs

    from cvae_tf.core.runs import train

    pairs = tmp_path_factory.mktemp("sketch_pairs")
    write_pairs(pairs / "train", 4, 32)
    write_pairs(pairs / "test", 6, 32, seed=1)
    output = tmp_path_factory.mktemp("sketch_run") / "sketch2photo"
    config = pix2pix_config(pairs, 32)
    config.data.sketch_augment = 0.5  # the augmented pipeline trains end to end
    config.model.upsampling = "resize"  # as the CPU demo: exported to ONNX and TFLite through their resize ops
    train(config, output, verbose=0)
    return output
