"""One migration at a time: a lock held for a whole run, released automatically if its holder dies."""

from __future__ import annotations

import errno
import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from .connect import sqlite_path
from .errors import LockTimeout, MigrationFailed

PG_LOCK_KEY = 0x5C4E3A7011  # any constant: advisory locks are per database
MYSQL_LOCK_NAME = "schema_tools_migrate"
POLL_SECONDS = 0.2
SAY_AFTER_SECONDS = 3.0


def lock_timeout() -> float:
    """Seconds to wait for another migration: $SCHEMA_TOOLS_LOCK_TIMEOUT, else the app's lock-timeout (300)."""
    from .config import find_project

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
        if self.progress is not None:
            self.progress(message)
        else:
            from .runner import say

            say(message)


@contextmanager
def migration_lock(
    connection: Connection, timeout: float | None = None, *, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the database's migration lock while the body runs.

    PostgreSQL: a session advisory lock on a separate connection (it survives the per-migration
    transactions and dies with its session, so a killed holder never leaves a stale lock, unlike a lock row).
    MySQL/MariaDB: GET_LOCK on a separate connection. SQLite: flock on `<database>.migrate.lock`.
    """
    seconds = lock_timeout() if timeout is None else timeout
    backend = connection.dialect.name
    if backend == "sqlite":
        path = sqlite_path(connection.engine.url)
        if path is None:  # in-memory: no other process can see it
            yield
            return
        lock_path = f"{path}.migrate.lock"
        try:
            handle = open(lock_path, "a")  # noqa: SIM115 (closed below, after the flock is released)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                raise MigrationFailed(
                    f"cannot create the migration lock file {lock_path}: the folder is not writable, so SQLite "
                    "could not write its journal there either; migrate a copy in a writable folder"
                ) from None
            raise
        with handle:
            deadline = time.monotonic() + seconds
            waiting = _Waiting(f"the migration lock on {path.name}", seconds, progress)
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise _timeout_error(path.name, seconds) from None
                    waiting.tick()
                    time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if backend not in ("postgresql", "mysql", "mariadb"):
        yield
        return
    with connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        where = connection.engine.url.database or backend
        waiting = _Waiting(f"the migration lock on {where}", seconds, progress)
        if backend == "postgresql":
            deadline = time.monotonic() + seconds
            while not holder.exec_driver_sql(f"SELECT pg_try_advisory_lock({PG_LOCK_KEY})").scalar():
                if time.monotonic() > deadline:
                    raise _timeout_error(where, seconds)
                waiting.tick()
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                holder.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_LOCK_KEY})")
        else:
            deadline = time.monotonic() + seconds
            # GET_LOCK names are server-wide: the database's name keeps a scratch database's lock apart.
            name = f"{MYSQL_LOCK_NAME}:{holder.exec_driver_sql('SELECT DATABASE()').scalar()}"[:64]
            while holder.exec_driver_sql("SELECT GET_LOCK(%s, 0)", (name,)).scalar() != 1:
                if time.monotonic() > deadline:
                    raise _timeout_error(where, seconds)
                waiting.tick()
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                holder.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))


__all__ = ["LockTimeout", "lock_timeout", "migration_lock"]
