"""Real `schema-tools worker` processes for the Celery tests: start them, kill them, clean the broker after them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support_fleet_gate import WORKER_ENV

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_TOOLS = str(Path(sys.executable).parent / "schema-tools")
STARTUP = 120  # seconds a worker may take to say "ready" on a loaded machine (a bound, not a measurement)


@dataclass
class Worker:
    """One `schema-tools worker` process group, its log file and its name."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: nothing gets to acknowledge or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def start_workers(
    broker: str, queue: str, folder: Path, names: tuple[str, ...], *, concurrency: int = 1, **env: str
) -> list[Worker]:
    """Worker processes as a user starts them, in the app's folder; returns once each says it is ready."""
    workers = []
    for name in names:
        log = folder / f"worker-{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [SCHEMA_TOOLS, "worker", "--broker", broker, "--queue", queue, f"--concurrency={concurrency}"]
                + ["--loglevel=DEBUG"],  # the most Celery ever logs: each task's raw message too
                cwd=PROJECT_ROOT,
                env={**os.environ, WORKER_ENV: name, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches the pool processes too
            )
        workers.append(Worker(name, process, log))
    for worker in workers:
        deadline = time.monotonic() + STARTUP
        while " ready." not in worker.text():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                for each in workers:
                    each.stop()
                pytest.fail(f"worker {worker.name} did not start:\n{worker.text()[-3000:]}")
            time.sleep(0.2)
    return workers


def clean_broker(broker: str, queue: str) -> None:
    """Drop the session's queue and its bookkeeping from the broker."""
    from kombu import Connection

    if broker.startswith("redis"):
        import redis

        client = redis.Redis.from_url(broker)
        keys = list(client.scan_iter(f"{queue}:*"))
        if keys:
            client.delete(*keys)
        client.close()
        return
    with Connection(broker) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        for exchange in (queue, f"{queue}.pidbox", f"reply.{queue}.pidbox"):
            channel.exchange_delete(exchange)
        channel.close()
