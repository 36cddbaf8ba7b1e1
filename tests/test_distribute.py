"""Multi-worker settings that are wrong fail before any worker waits on another, naming the value;
the backup carries every optimizer's state (in-process, no cluster)."""

import json
import socket

import keras
import pytest
from conftest import tiny_config
from helpers import pix2pix_config

from cvae_tf.cli import main
from cvae_tf.core.distribute import Cluster, _state, check_port_free, read_cluster, tf_config
from cvae_tf.core.errors import RunError
from cvae_tf.core.runs import build_trainer


def test_workers_option_writes_the_tf_config_that_reads_back():
    text = tf_config("10.0.0.1:2222, 10.0.0.2:2222", 1)
    assert json.loads(text)["task"] == {"type": "worker", "index": 1}
    assert read_cluster(text) == Cluster(("10.0.0.1:2222", "10.0.0.2:2222"), 1)
    chief_first = {"cluster": {"chief": ["a:1"], "worker": ["b:2"]}, "task": {"type": "worker", "index": 0}}
    assert read_cluster(json.dumps(chief_first)) == Cluster(("a:1", "b:2"), 1)


@pytest.mark.parametrize(
    "text, named",
    [
        ("{cluster: 1", "{cluster: 1"),
        ('{"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}', "'127.0.0.1'"),
        ('{"cluster": {"worker": ["h:1", "h:2"]}, "task": {"type": "worker", "index": 2}}', '"index": 2'),
        ('{"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 0}}', "['ps']"),
        ('{"cluster": {"worker": ["h:99999"]}, "task": {"type": "worker", "index": 0}}', "'h:99999'"),
        ("", "TF_CONFIG is not set"),
    ],
)
def test_a_malformed_tf_config_is_an_error_that_names_it(text, named):
    with pytest.raises(RunError, match="TF_CONFIG") as error:
        read_cluster(text)
    assert named in str(error.value)


def test_worker_index_outside_the_list_and_a_busy_port_are_named():
    with pytest.raises(RunError, match="--worker-index 2: --workers names 2 workers"):
        tf_config("h:1,h:2", 2)
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(RunError, match=f"127.0.0.1:{port}: port {port} is busy"):
            check_port_free(Cluster((f"127.0.0.1:{port}",), 0))


def test_cli_stops_on_a_bad_tf_config_before_training(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:x"]}}')
    code = main(["train", "mnist", "--output", str(tmp_path / "run"), "--strategy", "multi-worker"])
    assert code == 2
    assert "TF_CONFIG" in capsys.readouterr().err and not (tmp_path / "run").exists()
    assert main(["train", "--output", str(tmp_path / "run"), "--worker-index", "1"]) == 2
    assert "--worker-index 1 needs --workers" in capsys.readouterr().err


def test_the_backup_broadcast_holds_both_pix2pix_optimizers_and_the_vae_one(tmp_path):
    _, gan = build_trainer(pix2pix_config(tmp_path))
    state = {id(v) for v in _state(gan)}
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert {id(v) for v in optimizer.variables} <= state and optimizer.iterations.path
    assert {id(v) for v in gan.generator.weights + gan.discriminator.weights} <= state
    _, vae = build_trainer(tiny_config())
    vae.optimizer.build(vae.trainable_variables)
    assert {id(v) for v in vae.optimizer.variables} <= {id(v) for v in _state(vae)}
    assert isinstance(vae.optimizer, keras.optimizers.Optimizer)
