"""Which database a connection really reaches: a file, or a database on one particular server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection

from .dialects import backend_named


@dataclass(frozen=True)
class Identity:
    """A database as the server sees it: the file, or the database name plus what pins the server.

    Two URLs can spell one database differently (localhost and 127.0.0.1, a relative path); two servers
    can host databases of the same name. The server part (PostgreSQL's port, start time and database oid;
    MySQL's host name, port and data directory) tells them apart without a password or a write.
    """

    backend: str
    database: str
    server: tuple[str, ...] = ()

    def __str__(self) -> str:
        backend = backend_named(self.backend)
        if backend.file_based:
            return (
                f"the {backend.label} file {self.database}"
                if self.database
                else f"an in-memory {backend.label} database"
            )
        return f"the {self.backend} database {self.database!r}"


def identity_of_dbapi(dbapi_connection: DBAPIConnection, dialect_name: str) -> Identity:
    """The identity behind a raw DBAPI connection (sync, or SQLAlchemy's async adapter), read with one query."""
    backend = backend_named(dialect_name)
    name = backend.name if backend.supported else dialect_name  # MariaDB is MySQL's
    cursor = dbapi_connection.cursor()
    try:
        database, server = backend.identity_row(cursor)
    finally:
        cursor.close()
    return Identity(name, database, server)


def identity_of(connection: Connection) -> Identity:
    """The identity of the database a Connection reaches (cached on its DBAPI connection)."""
    record = connection.connection
    cached = record.info.get("schema_tools.identity")
    if isinstance(cached, Identity):
        return cached
    dbapi_connection = record.dbapi_connection
    assert dbapi_connection is not None  # a Connection in use holds its DBAPI connection
    found = identity_of_dbapi(dbapi_connection, connection.dialect.name)
    record.info["schema_tools.identity"] = found
    return found
