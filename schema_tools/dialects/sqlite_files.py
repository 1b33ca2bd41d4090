"""SQLite's files: the path behind a URL, read-only URIs, the migration lock file, consistent copies."""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import URL, Connection

from ..errors import DatabaseNotFound, MigrationFailed
from .base import LockWait


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


def read_only_url(url: URL, *, brief: bool) -> URL:
    """A URL that opens the file with mode=ro, so a missing file is never created.

    A WAL database with no -wal file holds everything committed in its main file, so it is opened
    immutable when the read is `brief` (one command) or the folder is not writable: SQLite then creates no
    -wal/-shm files (in a read-only folder it could not, and every read would fail). A brief read checks
    afterwards that no checkpoint rewrote the file meanwhile (read_only_connection does, via watched_file).
    """
    path = sqlite_path(url)
    if path is None:
        return url
    if not path.is_file():
        raise DatabaseNotFound(
            f"SQLite database file not found: {path}: check the URL, or run 'alembic upgrade head' to create it"
        )
    parameters = {"mode": "ro"}
    wal = path.with_name(path.name + "-wal")
    if _is_wal(path) and not wal.exists() and (brief or not os.access(path.parent, os.W_OK)):
        parameters["immutable"] = "1"
    query = {key: value for key, value in url.query.items() if key not in ("mode", "uri", "immutable")}
    return url.set(database=sqlite_uri(path, **parameters), query={**query, "uri": "true"})


def watched_file(url: URL) -> Path | None:
    """The file behind a URL opened immutable (read without locks), else None."""
    if "immutable=1" not in (url.database or ""):
        return None
    return sqlite_path(url)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's online backup API: rows still in the -wal file are copied too."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        with writer:
            reader.backup(writer)
    finally:
        reader.close()
        writer.close()


def begin_read_only(connection: Connection) -> Callable[[], None] | None:
    """Make the connection read-only unless its URL already opened the file so; returns what undoes it."""
    if connection.engine.url.query.get("mode") == "ro":
        return None  # opened read-only: the file cannot be written through this connection at all
    connection.exec_driver_sql("PRAGMA query_only = ON")  # per connection: off again before it is reused

    def undo() -> None:
        connection.exec_driver_sql("PRAGMA query_only = OFF")

    return undo


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def file_lock(connection: Connection, wait: LockWait) -> Iterator[None]:
    """flock on `<database>.migrate.lock`: the kernel releases it when its holder dies, so it is never stale."""
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
        wait(lambda: _try_flock(handle), path.name)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# The URL of a new private in-memory database, and of a database file: scratch databases default to these.
MEMORY_URL = "sqlite://"


def file_url(path: Path) -> str:
    """The URL of the SQLite database file at `path`."""
    return f"sqlite:///{path}"
