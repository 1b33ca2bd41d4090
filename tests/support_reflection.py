"""The Inspector as the oracle of a bulk catalog reader: its get_multi_* results compared field by field."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ClauseElement

from bench.schema import build
from schema_tools.dialects.bulk_types import BulkCatalog

Reader = Callable[[Connection, Collection[str]], BulkCatalog]

# BulkCatalog's field: the Inspector method that returns the same thing for every table of the default schema.
FIELDS = {
    "columns": "get_multi_columns",
    "primary_keys": "get_multi_pk_constraint",
    "foreign_keys": "get_multi_foreign_keys",
    "indexes": "get_multi_indexes",
    "unique_constraints": "get_multi_unique_constraints",
    "check_constraints": "get_multi_check_constraints",
    "comments": "get_multi_table_comment",
}


def comparable(value: Any, dialect: sa.Dialect) -> Any:
    """Types as (class, compiled, repr) and SQL expressions as text; everything else as it is."""
    if isinstance(value, sa.types.NullType):  # a column declared without a type: it has no DDL to compile
        return (type(value), repr(value))
    if isinstance(value, sa.types.TypeEngine):
        return (type(value), value.compile(dialect=dialect), repr(value))
    if isinstance(value, ClauseElement):
        return (type(value), str(value))
    if isinstance(value, dict):
        return {key: comparable(item, dialect) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(item, dialect) for item in value]
    return value


def inspector_catalog(connection: Connection) -> dict[str, dict[str, Any]]:
    """Inspector.get_multi_* for the default schema, by field name of BulkCatalog and then by table name.

    A dialect without comments (SQLite) must refuse get_multi_table_comment; reflection then gives each table the
    default comment, and so must the bulk reader.
    """
    inspector = sa.inspect(connection)
    fields = dict(FIELDS)
    if not connection.dialect.supports_comments:
        del fields["comments"]
        with pytest.raises(NotImplementedError):
            inspector.get_multi_table_comment()
    found = {field: getattr(inspector, method)() for field, method in fields.items()}
    assert {schema for rows in found.values() for (schema, _) in rows} <= {None}  # the default schema's, unnamed
    by_name = {field: {name: value for (_, name), value in rows.items()} for field, rows in found.items()}
    if "comments" not in by_name:
        default = sa.engine.reflection.ReflectionDefaults.table_comment()
        by_name["comments"] = {name: default for name in by_name["columns"]}
    return by_name


def assert_exact(connection: Connection, catalog: BulkCatalog, skip: frozenset[str] = frozenset()) -> None:
    """Every table read equals the Inspector's result, field by field and in order; the others are unreadable."""
    expected = inspector_catalog(connection)
    tables = set(expected["columns"]) - skip
    assert set(catalog.columns) | catalog.unreadable == tables
    assert not set(catalog.columns) & catalog.unreadable
    for field, rows in expected.items():
        got = getattr(catalog, field)
        assert set(got) == set(catalog.columns), field
        for name in catalog.columns:
            mine, theirs = comparable(got[name], connection.dialect), comparable(rows[name], connection.dialect)
            assert mine == theirs, (field, name)


def count_statements(engine: sa.Engine, reflect_all: Reader) -> int:
    """How many statements one full read of the catalog runs (every table readable, or the count means little)."""
    with engine.connect() as connection:
        statements: list[str] = []
        sa.event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        catalog = reflect_all(connection, ())
        assert catalog.columns and not catalog.unreadable
    return len(statements)


def statement_counts(new_url: Callable[[], URL], reflect_all: Reader, sizes: tuple[int, ...] = (1, 200)) -> list[int]:
    """count_statements on a fresh database holding the bench schema at each size: a bulk reader's does not grow."""
    counts = []
    for n in sizes:
        engine = sa.create_engine(new_url(), poolclass=NullPool)
        build(n).create_all(engine)
        counts.append(count_statements(engine, reflect_all))
        engine.dispose()
    return counts
