"""Sync engines with connect timeouts, and connect errors explained in one line without the password."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from .config import database_url, find_project
from .dialects import backend_of
from .errors import ConnectionFailed, DatabaseNotFound, UnknownDriver
from .secrets import mask_text, mask_url
from .urls import parse_url, read_only_url, sync_url


def default_url() -> URL:
    """The app's database when none is named: $url-env, else alembic.ini's sqlalchemy.url (see config.py)."""
    return database_url()


def resolve_url(url: str | URL | None) -> URL:
    """The URL a command works on: the one given (relative SQLite paths from the app's directory), else the default."""
    return database_url(url)


def connect_timeout() -> float:
    """Seconds to wait for a server to accept a connection: $SCHEMA_TOOLS_CONNECT_TIMEOUT, else the app's setting."""
    return find_project().connect_timeout


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
    backend = backend_of(parsed)
    pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0} if keep_open else {"poolclass": NullPool}
    try:
        engine = sa.create_engine(parsed, connect_args=backend.connect_args(connect_timeout()), **pool)
    except sa_exc.NoSuchModuleError:
        raise UnknownDriver(
            f"unknown database driver {parsed.drivername!r} in {mask_url(parsed)}: "
            "use sqlite, postgresql+psycopg, postgresql+asyncpg, mysql+pymysql or sqlite+aiosqlite"
        ) from None
    except ModuleNotFoundError as exc:
        suggestion = backend.sync_drivers.get(parsed.get_backend_name())
        hint = f"use {suggestion}:// (installed) or pip install it" if suggestion else "pip install it"
        raise UnknownDriver(f"the driver for {parsed.drivername!r} ({exc.name}) is not installed: {hint}") from None
    backend.configure_engine(engine, read_timeout)
    return engine


# Fragments of drivers' messages (PostgreSQL, MySQL/MariaDB, SQLite), by what they mean.
_LOGIN = ("password authentication failed", "access denied", "(1045")
_TIMEOUT = ("timeout", "timed out")
_REFUSED = ("refused", "can't connect", "could not connect", "(2003")
_UNKNOWN_HOST = ("could not translate host name", "name or service not known")


def _cause(text: str) -> str:
    """What a lower-cased connect error means; the first match wins."""
    if any(fragment in text for fragment in _LOGIN):
        return "login"
    if ("does not exist" in text and "database" in text) or "unknown database" in text or "(1049" in text:
        return "no database"
    if "unable to open database file" in text:
        return "no file"
    for cause, fragments in (("timeout", _TIMEOUT), ("refused", _REFUSED), ("unknown host", _UNKNOWN_HOST)):
        if any(fragment in text for fragment in fragments):
            return cause
    return "other"


def explain_connect_error(error: BaseException, url: str | URL) -> ConnectionFailed:
    """Turn a driver's connect error into one line that names the cause and the fix, without the password."""
    parsed = parse_url(url)
    where = mask_url(parsed)
    text = mask_text(str(getattr(error, "orig", error) or error), parsed).lower()
    host = f"{parsed.host or 'localhost'}:{parsed.port or ''}".rstrip(":")
    match _cause(text):
        case "login":
            return ConnectionFailed(
                f"login refused for {where}: check the user and password (percent-escape @ : / % in URLs)"
            )
        case "no database":
            return DatabaseNotFound(f"database {parsed.database!r} does not exist on {host}: create it or fix the URL")
        case "no file":
            return DatabaseNotFound(f"cannot open SQLite database for {where}: check the path and its permissions")
        case "timeout":
            return ConnectionFailed(
                f"timed out after {connect_timeout():g}s connecting to {host} ({where}): "
                "check the host, the port and the network (SCHEMA_TOOLS_CONNECT_TIMEOUT sets the wait)"
            )
        case "refused":
            return ConnectionFailed(f"cannot connect to {host} ({where}): is the server running on that port?")
        case "unknown host":
            return ConnectionFailed(f"unknown host {parsed.host!r} in {where}: check the host name")
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return ConnectionFailed(f"cannot connect to {where}: {first_line}")
