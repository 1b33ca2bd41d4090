"""PostgreSQL sessions: connect timeouts, read-only transactions and the session advisory migration lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection

from .base import LockWait

LOCK_KEY = 0x5C4E3A7011  # any constant: advisory locks are per database


def connect_args(seconds: float) -> dict[str, Any]:
    """libpq's connect_timeout takes whole seconds, and 0 would mean "wait forever"."""
    return {"connect_timeout": max(1, round(seconds))}


def read_only_session(connection: Connection) -> None:
    """On a connection we opened, psycopg starts read-only with BEGIN itself (reset when it goes back)."""
    if connection.dialect.driver in ("psycopg", "psycopg2"):
        connection.execution_options(postgresql_readonly=True)


def begin_read_only(connection: Connection) -> None:
    """Make the open transaction read-only, unless the driver already began it so."""
    if not connection.get_execution_options().get("postgresql_readonly"):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


@contextmanager
def advisory_lock(connection: Connection, wait: LockWait) -> Iterator[None]:
    """A session advisory lock on a separate connection.

    It survives the per-migration transactions and dies with its session, so a killed holder never leaves
    a stale lock, unlike a lock row.
    """
    with connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        where = connection.engine.url.database or connection.dialect.name
        wait(lambda: bool(holder.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar()), where)
        try:
            yield
        finally:
            holder.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
