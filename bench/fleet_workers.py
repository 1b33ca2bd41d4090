"""The bench's Celery workers: `schema-tools worker` processes, each on a queue of the bench's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _worker_count(broker: str, queue: str) -> int:
    """The workers that answer a ping on the queue, asked outside kombu's pools (a later fork inherits none)."""
    from schema_tools.fleet_celery import make_app
    from schema_tools.fleet_workers import control_connection

    app = make_app(broker, queue=queue)
    try:
        with control_connection(app) as connection:
            return len(app.control.ping(timeout=1.0, connection=connection))
    finally:
        app.close()


def start_worker(broker: str, queue: str, log: Path, expected: int) -> subprocess.Popen[bytes]:
    """One worker process (concurrency 1), returned once `expected` workers answer on the queue."""
    command = [str(Path(sys.executable).with_name("schema-tools")), "worker", "--broker", broker, "--queue", queue]
    command += ["--concurrency", "1", "--loglevel", "WARNING"]
    with log.open("ab") as output:
        worker = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output, start_new_session=True)
    deadline = time.monotonic() + 90
    while _worker_count(broker, queue) < expected:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Celery worker did not start: see {log}")
    return worker


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL to the worker's own process group if it lingers."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def broker_answers(broker: str) -> bool:
    from schema_tools.fleet_celery import make_app

    app = make_app(broker)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:  # no broker: the Celery rows are skipped with a note
        return False
    finally:
        app.close()


@contextmanager
def celery_queues(
    broker: str | None, log: Path, approaches: tuple[str, str], warm: Callable[[str], object]
) -> Iterator[dict[str, str]]:
    """A queue served by one worker and another served by two (each --concurrency 1), each warmed by `warm(queue)`
    (an 8-database run); nothing when there is no broker."""
    if broker is None:
        yield {}
        return
    queues = {approach: f"schema-tools-bench-{uuid.uuid4().hex[:8]}" for approach in approaches}
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for count, approach in enumerate(approaches, start=1):
            workers += [start_worker(broker, queues[approach], log, expected) for expected in range(1, count + 1)]
            warm(queues[approach])  # each worker imports the models once
        yield queues
    finally:
        stop_workers(workers)
