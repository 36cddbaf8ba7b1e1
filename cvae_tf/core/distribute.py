"""Training across machines: ``MultiWorkerMirroredStrategy`` with a training loop of the project's own.

Keras 3's ``fit`` cannot train under this strategy (keras-team/keras issue 20585: a ``PerReplica``
value reaches a tensor conversion), so ``fit`` here drives a family's trainer by hand. Each step
runs the trainer's own ``train_step`` on every replica (``strategy.run``): its losses, trackers and
switches are the ones single-process training uses, and the trainers scale their losses by the
replica count, so the all-reduced gradient is that of the global batch. The Keras callbacks of the
runner get their usual calls, with logs averaged over the workers, so a switch set at an epoch's
start (the digits' grey loss) flips at the same step on every worker.

The batch size is **global**: every step splits one batch of ``batch_size`` images between the
workers (``AutoShardPolicy.DATA``: every worker reads the same shuffled stream and keeps its share),
so it must divide by the number of workers. Worker 0 is the chief: only it writes the run folder,
the logs and the backup; the others write their checkpoints to temporary folders. On ``--resume``
the chief reads its backup and broadcasts weights, optimizer state and epoch to the others, so the
other hosts need no copy of it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import keras
import tensorflow as tf

from cvae_tf.core.errors import RunError

TIMEOUT = 300.0  # seconds a collective may wait for the other workers (the chief's epoch-end writes included)
_LOST = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError, tf.errors.CancelledError)


@dataclass(frozen=True)
class Cluster:
    """The workers' ``HOST:PORT`` addresses in rank order (a ``chief`` entry first) and this one's rank."""

    workers: tuple[str, ...]
    index: int

    @property
    def chief(self) -> bool:
        return self.index == 0

    @property
    def address(self) -> str:
        return self.workers[self.index]


def tf_config(workers: str, index: int) -> str:
    """The ``TF_CONFIG`` JSON for ``--workers HOST:PORT,... --worker-index I``."""
    addresses = [_checked_address(address.strip(), "--workers") for address in workers.split(",")]
    if not 0 <= index < len(addresses):
        raise RunError(
            f"--worker-index {index}: --workers names {len(addresses)} workers, so it is 0 to {len(addresses) - 1}"
        )
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def read_cluster(text: str | None) -> Cluster:
    """The cluster that ``TF_CONFIG`` (``text``) describes; an error naming what is wrong with it."""
    if not text:
        raise RunError(
            "TF_CONFIG is not set; --strategy multi-worker reads the cluster from it "
            "(or give --workers HOST:PORT,... --worker-index I)"
        )
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunError(f"TF_CONFIG = {text!r} is not JSON ({err.msg} at character {err.pos})") from None
    cluster, task = (spec.get("cluster"), spec.get("task")) if isinstance(spec, dict) else (None, None)
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise RunError(f'TF_CONFIG = {text!r}: expected {{"cluster": {{"worker": [...]}}, "task": {{...}}}}')
    unknown = set(cluster) - {"chief", "worker"}
    if unknown:
        raise RunError(
            f"TF_CONFIG cluster has {sorted(unknown)}; multi-worker training takes 'chief' and 'worker' only"
        )
    chief, workers = cluster.get("chief", []), cluster.get("worker", [])
    if not isinstance(chief, list) or not isinstance(workers, list) or len(chief) > 1 or not chief + workers:
        raise RunError(
            f"TF_CONFIG cluster = {json.dumps(cluster)}: expected a list of worker addresses (and one chief)"
        )
    addresses = tuple(_checked_address(address, "TF_CONFIG") for address in chief + workers)
    kind, index = task.get("type"), task.get("index")
    tasks = {"chief": len(chief), "worker": len(workers)}
    if kind not in tasks or not isinstance(index, int) or not 0 <= index < tasks[kind]:
        raise RunError(
            f"TF_CONFIG task = {json.dumps(task)}: the cluster has {tasks['worker']} worker(s) "
            f"and {tasks['chief']} chief; expected a type and index among them"
        )
    return Cluster(addresses, index + (len(chief) if kind == "worker" else 0))


def _checked_address(address, where: str) -> str:
    host, colon, port = str(address).rpartition(":")
    if not isinstance(address, str) or not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RunError(f"{where}: {address!r} is not HOST:PORT (e.g. 10.0.0.5:2222)")
    return address


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports free at this moment, for a cluster of local workers (tests, benchmarks)."""
    sockets = [socket.socket() for _ in range(count)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


def check_port_free(cluster: Cluster) -> None:
    """This worker's port must be free: TensorFlow's server listens on it on every interface."""
    port = int(cluster.address.rpartition(":")[2])
    with socket.socket() as probe:
        try:
            probe.bind(("", port))
        except OSError as err:
            raise RunError(
                f"worker {cluster.index}'s address {cluster.address}: port {port} is busy ({err.strerror})"
            ) from None


def strategy_from_options(workers: str | None = None, index: int | None = None, timeout: float = TIMEOUT):
    """``--workers HOST:PORT,... --worker-index I`` (written to ``TF_CONFIG``), else ``TF_CONFIG`` as set."""
    if workers is not None:
        if index is None:
            raise RunError(f"--workers {workers}: give this worker's place in that list with --worker-index I")
        os.environ["TF_CONFIG"] = tf_config(workers, index)
    elif index is not None:
        raise RunError(f"--worker-index {index} needs --workers HOST:PORT,... (or set TF_CONFIG instead)")
    return multi_worker_strategy(timeout)


def multi_worker_strategy(timeout: float = TIMEOUT) -> tf.distribute.MultiWorkerMirroredStrategy:
    """The strategy for the cluster in ``TF_CONFIG``, checked first; make it before any other TensorFlow work."""
    cluster = read_cluster(os.environ.get("TF_CONFIG"))
    check_port_free(cluster)
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=timeout, implementation=tf.distribute.experimental.CommunicationImplementation.RING
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    strategy.cluster = cluster
    _meet(strategy)
    return strategy


def _meet(strategy) -> None:
    """Wait for every worker once (one collective), so a cluster the workers disagree on fails here, named."""
    cluster = strategy.cluster
    try:
        _lost_contact_guard(strategy, _everywhere_sum(strategy, lambda: tf.constant(1.0)))
    except tf.errors.InternalError as err:
        size = re.search(r"joining a group with size\s*(\d+), but that group has size (\d+)", str(err.message))
        if not size:
            raise
        raise RunError(
            f"worker {cluster.index}: its cluster has {len(cluster.workers)} workers ({','.join(cluster.workers)}) "
            f"and the workers' lists differ in length ({' and '.join(sorted(size.groups(), key=int))}); "
            "give every worker the same --workers list (or TF_CONFIG cluster)"
        ) from None


def is_multi_worker(strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy) -> bool:
    """True unless ``strategy`` is a multi-worker one and this process is not worker 0."""
    return not is_multi_worker(strategy) or strategy.cluster.chief


def worker_dir(output_dir) -> Path:
    """A non-chief worker's working folder: temporary, its own, never beside the run folder."""
    folder = tempfile.mkdtemp(prefix=f"cvae_tf-{Path(output_dir).name}-worker-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # also when training stops with an error
    return Path(folder)


def run_facts(strategy, models: dict) -> dict:
    """For a run's manifest: the workers it trained on and a digest of the weights (the same on each)."""
    if not is_multi_worker(strategy):
        return {}
    digest = hashlib.sha256()
    for model in models.values():
        for weight in model.weights:
            digest.update(keras.ops.convert_to_numpy(weight).tobytes())
    return {
        "workers": list(strategy.cluster.workers),
        "worker": strategy.cluster.index,
        "weights_sha256": digest.hexdigest(),
    }


def fit_function(trainer, strategy, config):
    """``trainer.fit``, or under ``MultiWorkerMirroredStrategy`` the loop here, once the workers agree."""
    if not is_multi_worker(strategy):
        return trainer.fit
    workers = strategy.num_replicas_in_sync
    if config.training.batch_size % workers:
        raise RunError(
            f"training.batch_size = {config.training.batch_size} is the global batch; it must divide "
            f"by the {workers} replicas (workers × devices each)"
        )
    _check_same_everywhere(strategy, config)
    return partial(fit, trainer, strategy)


def _check_same_everywhere(strategy, config) -> None:
    """All workers must train the same config on the same cluster (else they would wait on each other)."""
    settings = json.dumps([config.to_dict(), list(strategy.cluster.workers)], sort_keys=True, default=str)
    fingerprint = float(int(hashlib.sha256(settings.encode()).hexdigest()[:5], 16))  # 20 bits: squares stay exact
    summed = _everywhere_sum(strategy, lambda: tf.constant([1.0, fingerprint, fingerprint**2], tf.float64))
    count, total, squares = _lost_contact_guard(strategy, summed).numpy()
    if count * squares != total**2:  # equal only when every worker's fingerprint is the same
        raise RunError(
            f"worker {strategy.cluster.index}: the workers were started with different configs or "
            "--workers lists; start every worker with the same settings"
        )


def _everywhere_sum(strategy, values):
    """A function that sums what ``values()`` gives on each worker, over all of them (one collective)."""
    return tf.function(lambda: strategy.reduce("SUM", strategy.run(values), axis=None))


def fit(trainer, strategy, x, *, epochs, steps_per_epoch, validation_data=None, callbacks=(), verbose="auto", **_):
    """Train ``trainer`` on ``x`` (global batches) like ``Model.fit``; returns the ``History``.

    A ``BackupAndRestore`` among ``callbacks`` is carried out here: the chief saves into its folder
    after every epoch (the others into temporary ones), and a rerun starts from the chief's backup.
    """
    if not steps_per_epoch:
        raise RunError("multi-worker training needs a dataset of known length (steps_per_epoch)")
    backups = [c for c in callbacks if isinstance(c, keras.callbacks.BackupAndRestore)]
    backup = _Backup(Path(backups[0].backup_dir), strategy) if backups else None
    history = keras.callbacks.History()
    progress = verbose if verbose != "auto" else 1
    callback_list = keras.callbacks.CallbackList(
        [c for c in callbacks if c not in backups] + [history],
        add_progbar=progress != 0,
        verbose=progress,
        model=trainer,
        epochs=epochs,
        steps=steps_per_epoch,
    )
    train_step = _replicated(strategy, trainer.train_step)
    test_step = _replicated(strategy, trainer.test_step)
    batches = iter(strategy.experimental_distribute_dataset(_sharded(x)))
    validation = strategy.experimental_distribute_dataset(_sharded(validation_data)) if validation_data else None

    def train():
        first = backup.restore(trainer) if backup else 0
        trainer.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(first, epochs):
            trainer.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs = {}
            for step in range(steps_per_epoch):
                callback_list.on_train_batch_begin(step)
                logs = _numbers(train_step(next(batches)))
                callback_list.on_train_batch_end(step, logs)
                if trainer.stop_training:
                    break
            if validation is not None:
                logs.update({f"val_{name}": value for name, value in _evaluate(trainer, test_step, validation).items()})
            callback_list.on_epoch_end(epoch, logs)
            if backup:
                backup.save(trainer, epoch + 1)
            if trainer.stop_training:
                break
        callback_list.on_train_end()
        if backup:
            backup.remove()

    _lost_contact_guard(strategy, train)
    return history


def _evaluate(trainer, test_step, validation) -> dict:
    trainer.reset_metrics()
    logs = {}
    for batch in validation:
        logs = _numbers(test_step(batch))
    return logs


def _replicated(strategy, step):
    """``step`` on every replica in one graph, its logs averaged over them (a mean of the workers' means)."""

    @tf.function(reduce_retracing=True)
    def run(batch):
        logs = strategy.run(step, args=(batch,))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in logs.items()}

    return run


def _sharded(dataset):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _numbers(logs) -> dict:
    return {name: float(value) for name, value in logs.items()}


def _lost_contact_guard(strategy, work):
    """Run ``work``; a worker that stops answering becomes one clear error instead of a traceback or a hang."""
    try:
        return work()
    except _LOST as err:
        cluster = strategy.cluster
        reason = _reason(err)
        raise RunError(
            f"worker {cluster.index} ({cluster.address}) lost contact with the other workers: {reason}; "
            "the last completed epoch is in the chief's backup: rerun every worker with --resume"
        ) from None


def _reason(err) -> str:
    """The useful line of TensorFlow's message: which task stopped, or that a step waited too long."""
    text = " ".join(line.strip() for line in str(err.message).splitlines() if line.strip())
    stopped = re.search(r"tasks are unhealthy[^:]*:\s*(/job:\S+)", text)
    if stopped:
        return f"{stopped.group(1)} stopped answering"
    if isinstance(err, tf.errors.DeadlineExceededError):
        return "a step waited longer than the collective timeout (--collective-timeout) for the others"
    return text[:300]


class _Backup:
    """Keras' ``BackupAndRestore`` layout (``latest.weights.h5`` + ``training_metadata.json``), kept by the
    chief only and written atomically; the others save into a temporary folder they delete."""

    WEIGHTS, METADATA = "latest.weights.h5", "training_metadata.json"

    def __init__(self, folder: Path, strategy):
        self.folder, self.strategy = folder, strategy
        self.chief = strategy.cluster.chief

    def restore(self, trainer) -> int:
        """The epoch to start from (0: none saved); the chief's state is broadcast to every worker."""
        epoch = 0
        if self.chief and (self.folder / self.METADATA).exists():
            trainer.load_weights(self.folder / self.WEIGHTS)
            epoch = int(json.loads((self.folder / self.METADATA).read_text())["epoch"])
        epoch = int(self._from_chief([tf.constant(float(epoch), tf.float64)])[0])
        if epoch:
            variables = _state(trainer)
            for variable, value in zip(variables, self._from_chief(variables)):
                variable.assign(tf.cast(value, variable.dtype))
        return epoch

    def _from_chief(self, values):
        """The chief's ``values`` on every worker: a sum to which the others add zeros."""

        def masked():  # one flat vector: one collective for the whole state
            flat = tf.concat([tf.reshape(tf.cast(v, tf.float64), [-1]) for v in values], axis=0)
            first = tf.distribute.get_replica_context().replica_id_in_sync_group == 0  # the chief's first device
            return flat * tf.cast(first, tf.float64)

        summed = _everywhere_sum(self.strategy, masked)()
        sizes = [int(tf.size(v)) for v in values]
        return [tf.reshape(part, tf.shape(v)) for part, v in zip(tf.split(summed, sizes), values)]

    def save(self, trainer, next_epoch: int) -> None:
        folder = self.folder if self.chief else Path(tempfile.mkdtemp(prefix="cvae_tf-backup-"))
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / f".{uuid.uuid4().hex[:8]}.weights.h5"
        try:
            trainer.save_weights(weights)  # on every worker: reading replicated state may be a collective
            weights.replace(folder / self.WEIGHTS)
            metadata = folder / f".{uuid.uuid4().hex[:8]}.json"
            metadata.write_text(json.dumps({"epoch": next_epoch, "batch": 0}))
            metadata.replace(folder / self.METADATA)
        finally:
            weights.unlink(missing_ok=True)
            if not self.chief:
                shutil.rmtree(folder, ignore_errors=True)

    def remove(self) -> None:
        if self.chief:
            shutil.rmtree(self.folder, ignore_errors=True)


def _state(trainer) -> list:
    """Every variable a backup holds: the trainer's weights and each of its optimizers' variables."""
    optimizers = {id(v): v for v in vars(trainer).values() if isinstance(v, keras.optimizers.Optimizer)}
    variables = list(trainer.weights) + [v for optimizer in optimizers.values() for v in optimizer.variables]
    unique = {id(v): v for v in variables}
    return list(unique.values())
