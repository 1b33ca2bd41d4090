"""One migration at a time: a lock held for a whole run, released automatically if its holder dies."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from .config import find_project
from .dialects import backend_of
from .dialects.mysql_sessions import LOCK_NAME as MYSQL_LOCK_NAME
from .dialects.postgresql_sessions import LOCK_KEY as PG_LOCK_KEY
from .errors import LockTimeout
from .runner import say

POLL_SECONDS = 0.2
SAY_AFTER_SECONDS = 3.0


def lock_timeout() -> float:
    """Seconds to wait for another migration: $SCHEMA_TOOLS_LOCK_TIMEOUT, else the app's lock-timeout (300)."""
    return find_project().lock_timeout


def _timeout_error(where: str, seconds: float) -> LockTimeout:
    return LockTimeout(
        f"another migration has held the migration lock on {where} for over {seconds:g}s; nothing was run: "
        "wait for it to finish (or stop it), or raise SCHEMA_TOOLS_LOCK_TIMEOUT"
    )


class _Waiting:
    """Says once, after a few seconds, what a wait is for; silent for short waits."""

    def __init__(self, what: str, seconds: float, progress: Callable[[str], None] | None) -> None:
        self.what, self.seconds, self.progress = what, seconds, progress
        self.started = time.monotonic()
        self.said = False

    def tick(self) -> None:
        if self.said or time.monotonic() - self.started < SAY_AFTER_SECONDS:
            return
        self.said = True
        message = f"waiting for {self.what} (held by another migration; up to {self.seconds:g}s)"
        (self.progress or say)(message)


def _poller(seconds: float, progress: Callable[[str], None] | None) -> Callable[[Callable[[], bool], str], None]:
    """How every backend's lock waits: try, and retry every POLL_SECONDS until `seconds` have passed."""

    def wait(attempt: Callable[[], bool], where: str) -> None:
        waiting = _Waiting(f"the migration lock on {where}", seconds, progress)
        deadline = time.monotonic() + seconds
        while not attempt():
            if time.monotonic() > deadline:
                raise _timeout_error(where, seconds)
            waiting.tick()
            time.sleep(POLL_SECONDS)

    return wait


@contextmanager
def migration_lock(
    connection: Connection, timeout: float | None = None, *, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the database's migration lock while the body runs.

    Each backend holds its own kind (Backend.migration_lock): PostgreSQL a session advisory lock and
    MySQL/MariaDB GET_LOCK, both on a separate connection that dies with its holder; SQLite flock on
    `<database>.migrate.lock`. A backend without one runs unlocked.
    """
    seconds = lock_timeout() if timeout is None else timeout
    with backend_of(connection).migration_lock(connection, _poller(seconds, progress)):
        yield


__all__ = ["MYSQL_LOCK_NAME", "PG_LOCK_KEY", "LockTimeout", "lock_timeout", "migration_lock"]
