"""One migration at a time: a lock held for a whole run, released automatically if its holder dies."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from .connect import sqlite_path

PG_LOCK_KEY = 0x5C4E3A7011  # any constant: advisory locks are per database
MYSQL_LOCK_NAME = "schema_tools_migrate"
POLL_SECONDS = 0.2


class MigrationLockTimeout(RuntimeError):
    """Another migration held the lock for longer than the timeout; nothing was run."""


def lock_timeout() -> float:
    """Seconds to wait for another migration: $SCHEMA_TOOLS_LOCK_TIMEOUT, default 300."""
    return float(os.environ.get("SCHEMA_TOOLS_LOCK_TIMEOUT", "300"))


def _timeout_error(where: str, seconds: float) -> MigrationLockTimeout:
    return MigrationLockTimeout(
        f"another migration has held the migration lock on {where} for over {seconds:g}s; nothing was run: "
        "wait for it to finish (or stop it), or raise SCHEMA_TOOLS_LOCK_TIMEOUT"
    )


@contextmanager
def migration_lock(connection: Connection, timeout: float | None = None) -> Iterator[None]:
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
        with open(f"{path}.migrate.lock", "w") as handle:
            deadline = time.monotonic() + seconds
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise _timeout_error(path.name, seconds) from None
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
        if backend == "postgresql":
            deadline = time.monotonic() + seconds
            while not holder.exec_driver_sql(f"SELECT pg_try_advisory_lock({PG_LOCK_KEY})").scalar():
                if time.monotonic() > deadline:
                    raise _timeout_error(where, seconds)
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                holder.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_LOCK_KEY})")
        else:
            got = holder.exec_driver_sql(f"SELECT GET_LOCK('{MYSQL_LOCK_NAME}', {int(max(seconds, 0))})").scalar()
            if got != 1:
                raise _timeout_error(where, seconds)
            try:
                yield
            finally:
                holder.exec_driver_sql(f"SELECT RELEASE_LOCK('{MYSQL_LOCK_NAME}')")
