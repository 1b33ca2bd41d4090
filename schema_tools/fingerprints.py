"""Per-table fingerprints of the models and of the live catalog, so a re-diff compares only what changed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from .dialects import backend_of
from .fingerprint_types import Catalog
from .settings import INTERNAL_TABLES

__all__ = ["Catalog", "database_fingerprints", "model_fingerprints", "supports_fingerprints"]

# A fingerprint may be over-inclusive (a spurious change only costs one table's comparison) but must
# never miss anything Alembic's comparison reads: each backend's catalog query errs towards including more.


def database_fingerprints(connection: Connection, previous_token: str | None = None) -> Catalog:
    """One catalog query: a fingerprint per table, or (where the backend can tell) just "unchanged"."""
    return backend_of(connection).fingerprints(connection, previous_token, INTERNAL_TABLES)


def supports_fingerprints(dialect: Dialect) -> bool:
    """Whether database_fingerprints knows this backend's catalog."""
    return backend_of(dialect).reads_catalog


def _type_key(type_: Any, dialect: Dialect, memo: dict[int, Any]) -> tuple[Any, str]:
    # Alembic compares types by their class (affinity) and the DDL the dialect renders for them. Rendering
    # is most of a fingerprint's cost, so it is kept while the type object and its attributes stay the same.
    state = type_.__dict__
    seen = memo.get(id(type_))
    if seen is not None and seen[0] is type_ and seen[1] == state:
        cached: tuple[Any, str] = seen[2]
        return cached
    try:
        key = (type(type_), type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot render: its repr still changes when it does
        key = (type(type_), repr(type_))
    memo[id(type_)] = (type_, dict(state), key)
    return key


def _options(item: Any) -> str:
    # dialect_options is created on first use, by us or by Alembic: most objects have none to show
    if "dialect_options" not in item.__dict__:
        return ""
    options = item.dialect_kwargs
    return repr(sorted(options.items())) if len(options) else ""


def _default_key(default: Any, memo: dict[int, tuple[Any, str]]) -> str | None:
    if default is None:
        return None
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return arg
    seen = memo.get(id(arg))
    if seen is None or seen[0] is not arg:  # expressions are immutable: render each one once per session
        seen = memo[id(arg)] = (arg, f"{type(arg).__name__}:{getattr(arg, 'text', None) or arg!s}")
    return seen[1]


def _fk_key(element: sa.ForeignKey) -> tuple[Any, ...]:
    try:  # the resolved target, as Alembic's comparison reads it (a renamed referred column counts)
        column = element.column
        return (column.table.schema, column.table.name, column.name)
    except Exception:
        return (element.target_fullname,)


def _constraint_key(constraint: sa.Constraint) -> tuple[Any, ...]:
    key: list[Any] = [type(constraint).__name__, str(constraint.name), constraint.deferrable, constraint.initially]
    if isinstance(constraint, ColumnCollectionConstraint):
        key.append(tuple(column.name for column in constraint.columns))
    if isinstance(constraint, sa.ForeignKeyConstraint):
        key += [tuple(_fk_key(element) for element in constraint.elements), constraint.ondelete, constraint.onupdate]
        key.append(constraint.match)
    if isinstance(constraint, sa.CheckConstraint):
        key.append(str(constraint.sqltext))
    key.append(_options(constraint))
    return tuple(key)


def _column_key(column: sa.Column[Any], dialect: Dialect, memo: dict[int, Any]) -> tuple[Any, ...]:
    rare = None  # most columns have none of these: one test instead of four calls
    if column.server_default is not None or column.computed is not None or column.identity is not None:
        rare = (_default_key(column.server_default, memo), repr(column.computed), repr(column.identity))
    return (
        column.name,
        _type_key(column.type, dialect, memo),
        column.nullable,
        column.primary_key,
        column.autoincrement,
        column.comment,
        rare,
        _options(column),
    )


def _table_key(table: sa.Table, dialect: Dialect, convention: str, memo: dict[int, Any]) -> tuple[Any, ...]:
    columns = tuple([_column_key(column, dialect, memo) for column in table.columns])
    constraints = tuple(sorted((_constraint_key(c) for c in table.constraints), key=lambda key: key[:2]))
    indexes = tuple(
        sorted(
            (
                str(index.name),
                index.unique,
                tuple(str(expression) for expression in index.expressions),
                _options(index),
            )
            for index in table.indexes
        )
    )
    options = _options(table)
    return (convention, table.schema, table.name, table.comment, options, columns, constraints, indexes)


def model_fingerprints(
    metadata: MetaData, dialect: Dialect, memo: dict[int, Any] | None = None
) -> dict[str, tuple[Any, ...]]:
    """{table: everything Alembic compares about it in the models}, by table name.

    Built from the objects' current state each time, so an in-place edit (a new type, a dropped
    index) shows up as well as a re-declared class.
    """
    convention = repr(sorted(metadata.naming_convention.items(), key=repr))
    return {
        table.name: _table_key(table, dialect, convention, memo if memo is not None else {})
        for table in metadata.tables.values()
        if table.name not in INTERNAL_TABLES
    }
