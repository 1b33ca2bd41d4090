"""URLs (async to sync), password masking, and read-only connections that never create or write."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from .errors import ConfigurationError, ConnectionFailed, DatabaseNotFound, UnknownDriver
from .secrets import mask_text as mask_text
from .secrets import mask_url as mask_url

# The async drivers env.py may be configured with, and the sync driver schema_tools reads through.
ASYNC_TO_SYNC = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
    "mysql+aiomysql": "mysql+pymysql",
    "mysql+asyncmy": "mysql+pymysql",
    "mariadb+aiomysql": "mariadb+pymysql",
    "mariadb+asyncmy": "mariadb+pymysql",
}

Source = str | URL | Engine | Connection


def default_url() -> URL:
    """The app's database when none is named: $url-env, else alembic.ini's sqlalchemy.url (see config.py)."""
    from .config import database_url

    return database_url()


def resolve_url(url: str | URL | None) -> URL:
    """The URL a command works on: the one given (relative SQLite paths from the app's directory), else the default."""
    from .config import database_url

    return database_url(url)


def connect_timeout() -> float:
    """Seconds to wait for a server to accept a connection: $SCHEMA_TOOLS_CONNECT_TIMEOUT, else the app's setting."""
    from .config import find_project

    return find_project().connect_timeout


def parse_url(url: str | URL) -> URL:
    """Parse a URL, with an error that does not echo the URL's password."""
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        raise ConfigurationError(
            f"cannot parse database URL {mask_url(str(url))!r}: expected dialect+driver://user:pass@host/db"
        ) from None


def sync_url(url: str | URL) -> URL:
    """The same database through a sync driver: schema_tools reads synchronously, whatever the app uses."""
    parsed = parse_url(url)
    replacement = ASYNC_TO_SYNC.get(parsed.drivername)
    return parsed.set(drivername=replacement) if replacement else parsed


def is_async_url(url: str | URL) -> bool:
    """True for URLs whose driver needs an event loop (aiosqlite, asyncpg, aiomysql...)."""
    return parse_url(url).drivername in ASYNC_TO_SYNC


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL (plain path or file: URI), or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    if database.startswith("file:"):
        parts = urlsplit(database)
        if "mode=memory" in parts.query:
            return None
        database = unquote(parts.path)
    return Path(database).expanduser().resolve()


def sqlite_uri(path: Path, **parameters: str) -> str:
    """A file: URI for SQLite with the path percent-escaped, so #, ?, % and spaces stay part of the name."""
    query = "&".join(f"{key}={value}" for key, value in parameters.items())
    return path.resolve().as_uri() + (f"?{query}" if query else "")


def _is_wal(path: Path) -> bool:
    """True when the file's header says WAL journal mode (bytes 18-19 are 2)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def read_only_url(url: str | URL, *, brief: bool = False) -> URL:
    """A sync URL that opens the database read-only; SQLite uses mode=ro so a missing file is never created.

    A WAL database with no -wal file holds everything committed in its main file, so it is opened
    immutable when the read is `brief` (one command) or the folder is not writable: SQLite then creates no
    -wal/-shm files (in a read-only folder it could not, and every read would fail). A brief read checks
    afterwards that no checkpoint rewrote the file meanwhile (read_only_connection does).
    """
    parsed = sync_url(url)
    if parsed.get_backend_name() != "sqlite":
        return parsed
    path = sqlite_path(parsed)
    if path is None:
        return parsed
    if not path.is_file():
        raise DatabaseNotFound(
            f"SQLite database file not found: {path}: check the URL, or run 'alembic upgrade head' to create it"
        )
    parameters = {"mode": "ro"}
    wal = path.with_name(path.name + "-wal")
    if _is_wal(path) and not wal.exists() and (brief or not os.access(path.parent, os.W_OK)):
        parameters["immutable"] = "1"
    query = {key: value for key, value in parsed.query.items() if key not in ("mode", "uri", "immutable")}
    return parsed.set(database=sqlite_uri(path, **parameters), query={**query, "uri": "true"})


def _connect_args(url: URL, *, read_timeout: float | None) -> dict[str, Any]:
    """Connect timeouts for every driver we read through; pymysql also needs one for the server's greeting."""
    seconds = connect_timeout()
    backend = url.get_backend_name()
    if backend == "postgresql":
        return {"connect_timeout": max(1, round(seconds))}
    if backend in ("mysql", "mariadb"):
        # pymysql waits for the server's greeting with read_timeout: a server that accepts and never answers
        # (or a PostgreSQL port) would hang forever without it. After connecting it is set to `read_timeout`.
        return {"connect_timeout": seconds, "read_timeout": seconds}
    if backend == "sqlite":
        return {"timeout": seconds}
    return {}


_INSTALLED_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def create_sync_engine(
    url: str | URL,
    *,
    read_only: bool = False,
    keep_open: bool = False,
    read_timeout: float | None = None,
    brief: bool = False,
) -> Engine:
    """A sync engine with connect timeouts; read_only opens SQLite with mode=ro.

    No pool unless keep_open: one connection kept for callers that come back often (a DiffSession).
    `read_timeout` bounds each MySQL/MariaDB read once connected (None: wait as long as a statement runs).
    """
    parsed = read_only_url(url, brief=brief and not keep_open) if read_only else sync_url(url)
    pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0} if keep_open else {"poolclass": NullPool}
    try:
        engine = sa.create_engine(parsed, connect_args=_connect_args(parsed, read_timeout=read_timeout), **pool)
    except sa_exc.NoSuchModuleError:
        raise UnknownDriver(
            f"unknown database driver {parsed.drivername!r} in {mask_url(parsed)}: "
            "use sqlite, postgresql+psycopg, postgresql+asyncpg, mysql+pymysql or sqlite+aiosqlite"
        ) from None
    except ModuleNotFoundError as exc:
        backend = parsed.get_backend_name()
        suggestion = _INSTALLED_DRIVERS.get(backend)
        hint = f"use {suggestion}:// (installed) or pip install it" if suggestion else "pip install it"
        raise UnknownDriver(f"the driver for {parsed.drivername!r} ({exc.name}) is not installed: {hint}") from None
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        event.listen(
            engine, "connect", lambda dbapi_connection, _record: _after_greeting(dbapi_connection, read_timeout)
        )
    return engine


def _after_greeting(dbapi_connection: Any, read_timeout: float | None) -> None:
    """Once pymysql is connected, statements may run as long as they need (or `read_timeout`)."""
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = read_timeout


def explain_connect_error(error: BaseException, url: str | URL) -> ConnectionFailed:
    """Turn a driver's connect error into one line that names the cause and the fix, without the password."""
    parsed = parse_url(url)
    where = mask_url(parsed)
    text = mask_text(str(getattr(error, "orig", error) or error), parsed).lower()
    host = f"{parsed.host or 'localhost'}:{parsed.port or ''}".rstrip(":")
    if "password authentication failed" in text or "access denied" in text or "(1045" in text:
        return ConnectionFailed(
            f"login refused for {where}: check the user and password (percent-escape @ : / % in URLs)"
        )
    if ("does not exist" in text and "database" in text) or "unknown database" in text or "(1049" in text:
        return DatabaseNotFound(f"database {parsed.database!r} does not exist on {host}: create it or fix the URL")
    if "unable to open database file" in text:
        return DatabaseNotFound(f"cannot open SQLite database for {where}: check the path and its permissions")
    if "timeout" in text or "timed out" in text:
        return ConnectionFailed(
            f"timed out after {connect_timeout():g}s connecting to {host} ({where}): "
            "check the host, the port and the network (SCHEMA_TOOLS_CONNECT_TIMEOUT sets the wait)"
        )
    if "refused" in text or "can't connect" in text or "could not connect" in text or "(2003" in text:
        return ConnectionFailed(f"cannot connect to {host} ({where}): is the server running on that port?")
    if "could not translate host name" in text or "name or service not known" in text:
        return ConnectionFailed(f"unknown host {parsed.host!r} in {where}: check the host name")
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return ConnectionFailed(f"cannot connect to {where}: {first_line}")


def _begin_read_only(connection: Connection) -> Callable[[], None] | None:
    """Make the open transaction read-only; returns what undoes a connection-level setting, if any."""
    backend = connection.dialect.name
    if backend == "sqlite":
        if connection.engine.url.query.get("mode") == "ro":
            return None  # opened read-only: the file cannot be written through this connection at all
        connection.exec_driver_sql("PRAGMA query_only = ON")  # per connection: off again before it is reused

        def undo() -> None:
            connection.exec_driver_sql("PRAGMA query_only = OFF")

        return undo
    if backend == "postgresql":
        if not connection.get_execution_options().get("postgresql_readonly"):
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif backend in ("mysql", "mariadb"):
        connection.exec_driver_sql("START TRANSACTION READ ONLY")
    return None


def _read_only_session(connection: Connection) -> None:
    """On a connection we opened, PostgreSQL starts read-only with BEGIN itself (reset when it goes back)."""
    if connection.dialect.name == "postgresql" and connection.dialect.driver in ("psycopg", "psycopg2"):
        connection.execution_options(postgresql_readonly=True)


@contextmanager
def read_only_connection(source: Source | None = None) -> Iterator[Connection]:
    """A connection inside a read-only transaction that is rolled back on exit; a write through it fails.

    Accepts a URL, an Engine or a Connection (default: DATABASE_URL or the server's settings).
    """
    if isinstance(source, Connection):
        if source.in_transaction():
            yield source
            return
        with source.begin() as transaction:
            undo = _begin_read_only(source)
            try:
                yield source
            finally:
                transaction.rollback()
        if undo is not None:
            undo()
        return
    engine = (
        source if isinstance(source, Engine) else create_sync_engine(resolve_url(source), read_only=True, brief=True)
    )
    url = engine.url
    watched = _immutable_file(url)
    before = _stamp(watched)
    try:
        connection = engine.connect()
    except sa_exc.DBAPIError as error:
        raise explain_connect_error(error, url) from None
    try:
        _read_only_session(connection)
        with connection.begin() as transaction:
            undo = _begin_read_only(connection)
            try:
                yield connection
            finally:
                transaction.rollback()
        if undo is not None:
            undo()
    finally:
        connection.close()
        if not isinstance(source, Engine):
            engine.dispose()
    if watched is not None and _stamp(watched) != before:
        raise ConnectionFailed(
            f"{watched.name} changed while it was read (another process wrote to it): run the command again"
        )


def _immutable_file(url: URL) -> Path | None:
    """The SQLite file behind a URL opened immutable (read without locks), else None."""
    if url.get_backend_name() != "sqlite" or "immutable=1" not in (url.database or ""):
        return None
    return sqlite_path(url)


def _stamp(path: Path | None) -> tuple[int, int, bool] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, path.with_name(path.name + "-wal").exists()
