"""MySQL/MariaDB sessions: PyMySQL's timeouts, read-only transactions and the GET_LOCK migration lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .base import LockWait

LOCK_NAME = "schema_tools_migrate"


def connect_args(seconds: float) -> dict[str, Any]:
    """PyMySQL waits for the server's greeting with read_timeout: without it, a server that accepts and never
    answers (or a PostgreSQL port) would hang forever. After connecting, `configure_engine` resets it."""
    return {"connect_timeout": seconds, "read_timeout": seconds}


def configure_engine(engine: Engine, read_timeout: float | None) -> None:
    """Once connected, statements may run as long as they need (or `read_timeout`)."""
    event.listen(engine, "connect", lambda dbapi_connection, _record: _after_greeting(dbapi_connection, read_timeout))


def _after_greeting(dbapi_connection: Any, read_timeout: float | None) -> None:
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = read_timeout


def begin_read_only(connection: Connection) -> None:
    """Start the transaction read-only (a write through it fails)."""
    connection.exec_driver_sql("START TRANSACTION READ ONLY")


@contextmanager
def named_lock(connection: Connection, wait: LockWait) -> Iterator[None]:
    """GET_LOCK on a separate connection: released by the server when its session ends."""
    with connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        where = connection.engine.url.database or connection.dialect.name
        # GET_LOCK names are server-wide: the database's name keeps a scratch database's lock apart.
        name = f"{LOCK_NAME}:{holder.exec_driver_sql('SELECT DATABASE()').scalar()}"[:64]
        wait(lambda: holder.exec_driver_sql("SELECT GET_LOCK(%s, 0)", (name,)).scalar() == 1, where)
        try:
            yield
        finally:
            holder.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))
