"""Read-only live-data counts that decide whether a change may fail: rows, NULLs, duplicates, orphans, misfits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection

from .dialects import backend_of

# Queries are built from SQLAlchemy constructs, so every identifier (reserved words, mixed case,
# quotes, `x"; DROP TABLE t; --`) is quoted by the dialect and never pasted into SQL text.


# A count keeps its table's lock until the transaction ends. Past this many counts in one transaction, where lock
# slots are scarce, each count runs in a savepoint whose rollback lets the lock go: a diff that drops 10,000
# tables counts the rows of each, and PostgreSQL ran out of shared memory at about 6,400 held locks.
LOCKS_KEPT = 200
_COUNTED = "schema_tools.preflight.counted"


def _count(connection: Connection, query: sa.Select[Any]) -> int:
    """The value of a count query, its lock released when this transaction already holds many."""
    if not backend_of(connection).lock_slots_are_scarce:
        return int(connection.execute(query).scalar_one())
    transaction = connection.get_transaction()
    before = connection.info.get(_COUNTED)
    counted = before[1] + 1 if before is not None and before[0] is transaction else 1
    connection.info[_COUNTED] = (transaction, counted)
    if counted <= LOCKS_KEPT:
        return int(connection.execute(query).scalar_one())
    savepoint = connection.begin_nested()
    try:
        return int(connection.execute(query).scalar_one())
    finally:
        savepoint.rollback()


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(column) for column in columns))


def _exists(connection: Connection, table: str) -> bool:
    return sa.inspect(connection).has_table(table)


def row_count(connection: Connection, table: str, *, known_to_exist: bool = False) -> int:
    """Rows in `table`; 0 when it does not exist yet (not asked when the caller just read it in the catalog)."""
    if not known_to_exist and not _exists(connection, table):
        return 0
    return _count(connection, sa.select(sa.func.count()).select_from(_table(table)))


def null_count(connection: Connection, table: str, column: str) -> int:
    """Rows whose `column` is NULL (what a new NOT NULL would reject)."""
    if not _exists(connection, table):
        return 0
    t = _table(table, column)
    query = sa.select(sa.func.count()).select_from(t).where(t.c[column].is_(None))
    return _count(connection, query)


def duplicate_groups(connection: Connection, table: str, columns: Sequence[str]) -> int:
    """Groups of rows whose non-NULL values in `columns` repeat (what a new unique key would reject)."""
    if not columns or not _exists(connection, table):
        return 0
    t = _table(table, *columns)
    keys = [t.c[name] for name in columns]
    groups = (
        sa.select(*keys)
        .where(sa.and_(*(key.is_not(None) for key in keys)))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .subquery()
    )
    return _count(connection, sa.select(sa.func.count()).select_from(groups))


def orphan_rows(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    referred_table: str,
    referred_columns: Sequence[str],
) -> int:
    """Rows whose non-NULL `columns` match no row of `referred_table` (what a new foreign key would reject)."""
    if not _exists(connection, table):
        return 0
    child = _table(table, *columns).alias("child")
    keys_present = sa.and_(*(child.c[name].is_not(None) for name in columns))
    if not _exists(connection, referred_table):
        query = sa.select(sa.func.count()).select_from(child).where(keys_present)
        return _count(connection, query)
    parent = _table(referred_table, *referred_columns).alias("parent")
    match = sa.and_(*(child.c[name] == parent.c[ref] for name, ref in zip(columns, referred_columns, strict=True)))
    query = (
        sa.select(sa.func.count())
        .select_from(child)
        .where(keys_present)
        .where(~sa.exists(sa.select(sa.literal(1)).select_from(parent).where(match)))
    )
    return _count(connection, query)


def values_not_fitting(connection: Connection, table: str, column: str, new_type: Any) -> int | None:
    """Values of `column` that `new_type` could not hold; None when that cannot be told by a query."""
    if not _exists(connection, table):
        return 0
    t = _table(table, column)
    value = t.c[column]
    condition: sa.ColumnElement[bool] | None = None
    length = getattr(new_type, "length", None)
    if isinstance(new_type, satypes.String) and length is not None:
        # Through a text cast: PostgreSQL has no length() of an enum (or any non-text) column.
        condition = sa.func.length(sa.cast(value, sa.Text)) > length
    elif isinstance(new_type, satypes.Integer) and not isinstance(new_type, satypes.Boolean):
        as_number = sa.cast(value, sa.Float)
        condition = as_number != sa.func.floor(as_number)
        bounds = _integer_bounds(new_type)
        if bounds is not None:
            condition = sa.or_(condition, as_number < bounds[0], as_number > bounds[1])
    if condition is None:
        return None
    query = sa.select(sa.func.count()).select_from(t).where(value.is_not(None)).where(condition)
    return _count(connection, query)


def _integer_bounds(type_: Any) -> tuple[int, int] | None:
    if isinstance(type_, satypes.SmallInteger):
        return (-(2**15), 2**15 - 1)
    if isinstance(type_, satypes.BigInteger):
        return None
    return (-(2**31), 2**31 - 1)
