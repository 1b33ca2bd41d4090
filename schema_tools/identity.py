"""Which database a connection really reaches: a file, or a database on one particular server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

_QUERIES = {
    "postgresql": (
        "SELECT current_database(), current_setting('port'), pg_postmaster_start_time()::text, "
        "(SELECT oid FROM pg_database WHERE datname = current_database())::text"
    ),
    "mysql": "SELECT DATABASE(), @@hostname, @@port, @@datadir",
}


@dataclass(frozen=True)
class Identity:
    """A database as the server sees it: the SQLite file, or the database name plus what pins the server.

    Two URLs can spell one database differently (localhost and 127.0.0.1, a relative path); two servers
    can host databases of the same name. The server part (PostgreSQL's port, start time and database oid;
    MySQL's host name, port and data directory) tells them apart without a password or a write.
    """

    backend: str
    database: str
    server: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.backend == "sqlite":
            return f"the SQLite file {self.database}" if self.database else "an in-memory SQLite database"
        return f"the {self.backend} database {self.database!r}"


def _backend(dialect_name: str) -> str:
    return "mysql" if dialect_name == "mariadb" else dialect_name


def identity_of_dbapi(dbapi_connection: Any, dialect_name: str) -> Identity:
    """The identity behind a raw DBAPI connection (sync, or SQLAlchemy's async adapter), read with one query."""
    backend = _backend(dialect_name)
    cursor = dbapi_connection.cursor()
    try:
        if backend == "sqlite":
            cursor.execute("PRAGMA database_list")
            files = {row[1]: row[2] for row in cursor.fetchall()}
            path = files.get("main") or ""
            return Identity("sqlite", os.path.realpath(path) if path else "")
        query = _QUERIES.get(backend)
        if query is None:
            return Identity(backend, "", ("unknown",))
        cursor.execute(query)
        row = cursor.fetchone()
    finally:
        cursor.close()
    database = "" if row[0] is None else str(row[0])
    return Identity(backend, database, tuple("" if value is None else str(value) for value in row[1:]))


def identity_of(connection: Connection) -> Identity:
    """The identity of the database a Connection reaches (cached on its DBAPI connection)."""
    record = connection.connection
    cached = record.info.get("schema_tools.identity")
    if isinstance(cached, Identity):
        return cached
    found = identity_of_dbapi(record.dbapi_connection, connection.dialect.name)
    record.info["schema_tools.identity"] = found
    return found
