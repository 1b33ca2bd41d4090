"""Who serves a Celery fleet's queue, and with how many processes: asked on a connection of the call's own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Celery
from kombu.connection import Connection

from .connect import mask_url
from .errors import ConnectionFailed
from .fleet_chunks import chunk_size

__all__ = ["REDIS_SCHEMES", "chunk_for", "control_connection", "require_worker", "scheme", "worker_processes"]

REDIS_SCHEMES = ("redis", "rediss")


def scheme(url: str) -> str:
    """A broker URL's scheme, lower-cased: "redis" in redis://host:6379/0."""
    return url.partition("://")[0].lower()


@contextmanager
def control_connection(app: Celery) -> Iterator[Connection]:
    """A broker connection for ping and stats replies, outside kombu's process-wide pools.

    A stats broadcast ends on its timeout with a Redis BRPOP still waiting for its reply. Kombu's after-fork hook
    closes every pooled connection in each forked child (a later local pool), and that close reads the reply from
    the parent's socket: the child, and the caller waiting for it, hung forever. This connection is in no pool.
    On Redis it is not closed either, because closing waits up to a second for that reply; it is let go, and its
    socket is closed when it is collected. On RabbitMQ closing does not wait, so it is closed.
    """
    connection = app.connection_for_write()
    try:
        yield connection
    finally:
        if scheme(str(app.conf.broker_url)) not in REDIS_SCHEMES:
            connection.close()


def require_worker(app: Celery, broker_url: str, connection: Connection) -> None:
    """One line, at once, when no worker serves the queue (rather than waiting for the timeout)."""
    if not app.control.ping(timeout=3.0, limit=1, connection=connection):
        raise ConnectionFailed(
            f"no schema-tools worker answers on {mask_url(broker_url)} (queue {app.conf.task_default_queue}): "
            f"start one with `schema-tools worker --broker URL`"
        )


def worker_processes(app: Celery, connection: Connection) -> int:
    """The worker processes on the queue: each worker's pool size, from the `stats` replies that come within four
    round trips of a ping (a late worker is missed: the chunks are larger, the entries the same)."""
    started = time.monotonic()
    app.control.ping(timeout=1.0, limit=1, connection=connection)  # the process's first ping also paid imports
    window = min(max(4 * (time.monotonic() - started), 0.02), 0.5)
    replies = app.control.inspect(timeout=window, connection=connection).stats() or {}
    pools = [reply.get("pool", {}).get("max-concurrency") for reply in replies.values() if isinstance(reply, dict)]
    return sum(size if isinstance(size, int) and size > 0 else 1 for size in pools) or 1


def chunk_for(app: Celery, connection: Connection, databases: int, processes: int | None) -> int:
    """chunk_size for the fleet; the workers are counted only when their number can change it."""
    if processes is None and chunk_size(databases, 1) == 1:
        return 1
    return chunk_size(databases, processes or worker_processes(app, connection))
