"""A SQLite schema rebuilt in memory from its DDL text, so reflecting a few tables costs the file nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

# The DDL of each table, as the catalog query reads it: table -> [(kind, sql), ...].
TableDDL = dict[str, list[tuple[str, str]]]


@contextmanager
def replica(ddl: TableDDL, tables: set[str]) -> Iterator[Connection | None]:
    """The changed tables rebuilt from their exact DDL in memory, so reflecting them costs the file nothing.

    SQLite's schema is its DDL text: pragma answers for the copy are the file's. Yields None when a
    table cannot be rebuilt alone (a virtual table needs its module and its shadow tables).
    """
    engine = sa.create_engine(sa.engine.URL.create("sqlite"), poolclass=StaticPool)
    try:
        with engine.connect() as connection:
            try:
                for table in sorted(tables):
                    for _kind, sql in ddl.get(table, []):
                        connection.exec_driver_sql(sql)
            except sa.exc.DBAPIError:
                yield None
                return
            yield connection
    finally:
        engine.dispose()
