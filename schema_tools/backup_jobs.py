"""The Job a backend's backup code works on: URL, the project's timeouts, connections that fail in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection

from .backup_format import BackupFormat, Job
from .config import find_project
from .connect import create_sync_engine, explain_connect_error
from .errors import BackupError, DatabaseNotFound
from .sources import describe
from .tools import CONNECT_TIMEOUT_ENV, Timeouts


def current_timeouts() -> Timeouts:
    """The SCHEMA_TOOLS_*_TIMEOUT variables, else the project's connect-timeout and lock-timeout settings."""
    project = find_project()
    return Timeouts.from_env(project.connect_timeout, project.lock_timeout)


def job_for(url: URL, backup_format: BackupFormat, timeouts: Timeouts) -> Job:
    """A Job on `url`, its client tools found first (a missing one fails before any work)."""
    return Job(url, describe(url), timeouts, connect, backup_format.require_tools())


@contextmanager
def connect(url: URL, timeouts: Timeouts, *, autocommit: bool = False) -> Iterator[Connection]:
    """A connection with the project's connect timeout; login and missing-database errors become one line."""
    engine = create_sync_engine(url)
    try:
        try:
            connection = engine.connect()
        except sa_exc.DBAPIError as error:
            raise _connect_failure(error, url, timeouts) from None
        with connection:
            if autocommit:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
    finally:
        engine.dispose()


def _connect_failure(error: sa_exc.DBAPIError, url: URL, timeouts: Timeouts) -> BackupError | DatabaseNotFound:
    explained = explain_connect_error(error, url)
    if isinstance(explained, DatabaseNotFound):
        return explained
    text = str(explained)
    if "timed out" in text:
        text = f"timed out after {timeouts.connect_seconds}s ({CONNECT_TIMEOUT_ENV}) connecting to {describe(url)}"
    return BackupError(f"{text}; nothing was changed")
