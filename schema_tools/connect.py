"""Read-only connections that never create or write; the URL and engine helpers are re-exported from here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine

from .dialects import backend_of
from .dialects.sqlite_files import sqlite_path, sqlite_uri
from .engines import connect_timeout, create_sync_engine, default_url, explain_connect_error, resolve_url
from .errors import ConnectionFailed
from .secrets import mask_text, mask_url
from .urls import ASYNC_TO_SYNC, is_async_url, parse_url, read_only_url, sync_url

__all__ = [
    "ASYNC_TO_SYNC",
    "Source",
    "connect_timeout",
    "create_sync_engine",
    "default_url",
    "explain_connect_error",
    "is_async_url",
    "mask_text",
    "mask_url",
    "parse_url",
    "read_only_connection",
    "read_only_url",
    "resolve_url",
    "sqlite_path",
    "sqlite_uri",
    "sync_url",
]

Source = str | URL | Engine | Connection


@contextmanager
def _read_only_transaction(connection: Connection) -> Iterator[Connection]:
    """A read-only transaction on `connection`, rolled back on exit (and any connection-level setting undone)."""
    with connection.begin() as transaction:
        undo = backend_of(connection).begin_read_only(connection)
        try:
            yield connection
        finally:
            transaction.rollback()
    if undo is not None:
        undo()


@contextmanager
def read_only_connection(source: Source | None = None) -> Iterator[Connection]:
    """A connection inside a read-only transaction that is rolled back on exit; a write through it fails.

    Accepts a URL, an Engine or a Connection (default: DATABASE_URL or the server's settings).
    """
    if isinstance(source, Connection):
        if source.in_transaction():
            yield source
        else:
            with _read_only_transaction(source) as connection:
                yield connection
        return
    engine = (
        source if isinstance(source, Engine) else create_sync_engine(resolve_url(source), read_only=True, brief=True)
    )
    watched = backend_of(engine.url).watched_file(engine.url)
    before = _stamp(watched)
    try:
        with _opened(engine) as connection, _read_only_transaction(connection):
            yield connection
    finally:
        if not isinstance(source, Engine):
            engine.dispose()
    if watched is not None and _stamp(watched) != before:
        raise ConnectionFailed(
            f"{watched.name} changed while it was read (another process wrote to it): run the command again"
        )


@contextmanager
def _opened(engine: Engine) -> Iterator[Connection]:
    """A new connection whose transactions the driver begins read-only where it can; closed on exit."""
    try:
        connection = engine.connect()
    except sa_exc.DBAPIError as error:
        raise explain_connect_error(error, engine.url) from None
    try:
        backend_of(connection).read_only_session(connection)
        yield connection
    finally:
        connection.close()


def _stamp(path: Path | None) -> tuple[int, int, bool] | None:
    """What a rewrite of `path` (or a new -wal file beside it) would change."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, path.with_name(path.name + "-wal").exists()
