"""SQLite migrations: each one inside a real BEGIN..COMMIT, foreign keys off during it and checked after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from ..errors import MigrationFailed


class ForeignKeyViolation(MigrationFailed):
    """A migration step left rows whose foreign keys point nowhere; the step is rolled back."""


def _fk_check(connection: Connection) -> None:
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if rows:
        tables = sorted({f"{row[0]} -> {row[2]}" for row in rows})
        raise ForeignKeyViolation(
            f"{len(rows)} rows violate foreign keys after this migration ({', '.join(tables)}): step rolled back"
        )


@contextmanager
def transactional_ddl(connection: Connection) -> Iterator[Callable[..., None]]:
    """Make pysqlite run each migration inside a real BEGIN..COMMIT, with foreign_keys OFF during it.

    pysqlite autocommits DDL, so a failing migration would stay half-applied (SQLAlchemy's documented
    recipe: isolation_level=None plus an explicit BEGIN). `PRAGMA foreign_keys` is ignored inside a
    transaction, so it is switched off here, before BEGIN: with it on, a batch rebuild of a parent table
    deletes every child row through ON DELETE CASCADE. Yields an on_version_apply callback that runs
    `PRAGMA foreign_key_check` inside each migration's transaction, so a violating step is rolled back.
    """
    if connection.in_transaction():
        connection.commit()
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    previous_isolation = dbapi_connection.isolation_level
    foreign_keys_were_on = bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())
    connection.commit()
    dbapi_connection.isolation_level = None
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    connection.commit()

    def emit_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    event.listen(connection, "begin", emit_begin)
    try:
        yield lambda ctx, **_: _fk_check(ctx.connection)
    finally:
        event.remove(connection, "begin", emit_begin)
        if connection.in_transaction():
            connection.rollback()
        if foreign_keys_were_on:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()
        dbapi_connection.isolation_level = previous_isolation


@contextmanager
def migration_options(connection: Connection) -> Iterator[dict[str, Any]]:
    """The context.configure options of an atomic, foreign-key checked SQLite migration run."""
    with transactional_ddl(connection) as fk_check:
        yield {"transactional_ddl": True, "on_version_apply": [fk_check]}
