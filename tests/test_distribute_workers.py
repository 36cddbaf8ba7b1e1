"""Two real worker processes on loopback (``cvae-tf train --workers ...``), tiny models, bounded in time.

Each worker is its own process because TensorFlow's collectives need the strategy made before any
other TensorFlow work. Ports are picked free at run time; every process is killed when a test ends.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import tiny_config
from helpers import write_pairs

from cvae_tf.core.distribute import free_ports
from cvae_tf.core.runs import train
from cvae_tf.core.saving import SavedRun

LIMIT = 240  # seconds a pair of workers may take before the test fails (and kills them)
DIGITS = ["mnist", "--data", "sample", "--latent-dim", "8", "--set", "model.filters=[8,16]"]
DIGITS += ["--set", "model.dense_units=64", "--batch-size", "512", "--epochs", "1"]


def pix2pix_args(source, epochs):
    sizes = ["--set", "data.image_size=[32,32]", "--set", "model.base_filters=8", "--set", "model.residual_blocks=1"]
    return ["pix2pix", "--data", str(source), *sizes, "--set", "model.discriminator_filters=8", "--batch-size", "4",
            "--epochs", str(epochs)]  # fmt: skip


class Workers:
    """``cvae-tf train ARGS --workers ...`` once per worker, outputs in ``folder``; all killed on exit."""

    def __init__(self, folder, args, output, count=2, resume=False):
        addresses = ",".join(f"127.0.0.1:{port}" for port in free_ports(count))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(folder / "tmp")}
        (folder / "tmp").mkdir(exist_ok=True)
        command = [sys.executable, "-m", "cvae_tf.cli", "train", *args, "--output", str(output), "--quiet"]
        command += ["--workers", addresses] + (["--resume"] if resume else [])
        self.logs = [folder / f"worker{index}-{time.monotonic_ns()}.log" for index in range(count)]
        self.processes = [
            subprocess.Popen(
                [*command, "--worker-index", str(index)], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
            )
            for index, log in enumerate(self.logs)
        ]

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()

    def wait(self, limit=LIMIT):
        """Each worker's exit code and output, once all have stopped."""
        deadline = time.monotonic() + limit
        for process in self.processes:
            try:
                process.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"workers still running after {limit} s: {[log.read_text()[-2000:] for log in self.logs]}")
        return [process.returncode for process in self.processes], [log.read_text() for log in self.logs]


def summary(output: str) -> dict:
    """The JSON line that ``cvae-tf train`` prints last."""
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def test_two_workers_train_the_digit_cvae_like_one_process(tmp_path):
    output = tmp_path / "runs" / "digits"
    with Workers(tmp_path, DIGITS, output) as workers:
        single = train(tiny_config(epochs=1, batch_size=512), tmp_path / "single", verbose=0)  # meanwhile
        codes, outputs = workers.wait()
    assert codes == [0, 0], outputs
    chief, other = (summary(text) for text in outputs)
    assert chief["weights_sha256"] == other["weights_sha256"]  # bit-identical weights on both workers
    assert sorted(p.name for p in output.parent.iterdir()) == ["digits"]  # no .training, no worker folder
    assert not any((tmp_path / "tmp").iterdir())  # the other worker's temporary folder is gone
    run = SavedRun.open(output)
    assert len(run.manifest["workers"]) == 2 and run.manifest["weights_sha256"] == chief["weights_sha256"]
    assert run.decoder.output_shape[1:] == (28, 28, 1)  # the run loads like any other

    # Sampling noise differs (each worker draws its half of the batch's z), so the runs agree within
    # a tolerance, not bit for bit; measured: the epoch's loss within 0.1 %, val_loss within 0.5 %.
    for name in ("loss", "mse", "val_loss", "val_mse"):
        assert run.manifest["final_metrics"][name] == pytest.approx(single["final_metrics"][name], rel=0.02), name


@pytest.fixture
def pairs(tmp_path):
    write_pairs(tmp_path / "pairs" / "train", 8)
    write_pairs(tmp_path / "pairs" / "test", 4, seed=1)
    return tmp_path / "pairs"


def epochs_started(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"^Epoch (\d+)/", output, re.MULTILINE)]


def test_pix2pix_on_two_workers_survives_a_killed_worker_and_resumes_where_it_stopped(tmp_path, pairs):
    """One test for both, as each pair of processes costs half a minute here: the first epoch is an
    uninterrupted two-worker epoch, the resume continues the run from its trained weights."""
    output = tmp_path / "runs" / "sketches"
    work = output.with_name("sketches.training")
    with Workers(tmp_path, pix2pix_args(pairs, 3), output) as workers:
        deadline = time.monotonic() + LIMIT
        while not _logged_epochs(work) and time.monotonic() < deadline:
            assert workers.processes[0].poll() is None, workers.logs[0].read_text()[-2000:]
            time.sleep(0.2)
        os.kill(workers.processes[1].pid, signal.SIGKILL)  # in the second epoch
        codes, outputs = workers.wait()
    assert codes[0] == 2 and "lost contact with the other workers" in outputs[0], outputs[0][-2000:]
    assert "rerun every worker with --resume" in outputs[0] and not output.exists()
    done = json.loads((work / "backup" / "training_metadata.json").read_text())["epoch"]
    assert done >= 1 and _logged_epochs(work) in (list(range(done)), list(range(done + 1)))

    with Workers(tmp_path, pix2pix_args(pairs, 3), output, resume=True) as workers:
        codes, outputs = workers.wait()
    assert codes == [0, 0], outputs
    assert epochs_started(outputs[0]) == list(range(done + 1, 4))  # from the first epoch not completed
    chief, other = (summary(text) for text in outputs)
    assert chief["weights_sha256"] == other["weights_sha256"]  # the chief's backup reached the other worker
    log = pd.read_csv(output / "training_log.csv")
    assert log["epoch"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in output.parent.iterdir()) == ["sketches"]  # (kill -9 left worker 1's temp folder)
    assert set(SavedRun.open(output).manifest["models"]) == {"generator", "discriminator"}
    # The held-out L1 falls epoch after epoch across the kill: a resume from fresh weights would climb back.
    # (Its first epoch is not compared with one process: two GAN steps land 0.58-0.71 in g_l1 from one
    # process to the next, two workers or one; the digit test compares the two on many steps.)
    assert log["val_g_l1"].is_monotonic_decreasing and log["val_g_l1"].is_unique, log["val_g_l1"].tolist()


def _logged_epochs(work) -> list[int]:
    path = work / "training_log.csv"
    if not path.exists() or path.stat().st_size == 0:
        return []
    return pd.read_csv(path)["epoch"].tolist()


def test_workers_that_disagree_on_the_cluster_both_stop_naming_it(tmp_path):
    first, second, third = (f"127.0.0.1:{port}" for port in free_ports(3))
    command = [sys.executable, "-m", "cvae_tf.cli", "train", *DIGITS, "--output", str(tmp_path / "run"), "--quiet"]
    lists = [f"{first},{second}", f"{first},{second},{third}"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    processes = [
        subprocess.Popen([*command, "--workers", workers, "--worker-index", str(index)], env=env, text=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for index, workers in enumerate(lists)
    ]  # fmt: skip
    try:
        errors = [process.communicate(timeout=LIMIT)[1] for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert [process.returncode for process in processes] == [2, 2]
    assert f"its cluster has 2 workers ({lists[0]})" in errors[0] and "differ in length (2 and 3)" in errors[0]
    assert f"its cluster has 3 workers ({lists[1]})" in errors[1] and "differ in length (2 and 3)" in errors[1]
    assert not (tmp_path / "run").exists()
