"""What a downgrade must put back exactly, read before the upgrade and after the downgrade: schema and rows."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import ReflectedColumn, ReflectedForeignKeyConstraint, ReflectedIndex

from .check_text import normalize_check
from .dialects import backend_of
from .seed_rules import CheckConstraints, check_constraints
from .settings import INTERNAL_TABLES, _normalize_default
from .sources import reflect

__all__ = ["DataSnapshot", "data_snapshot", "listing", "schema_snapshot"]

# table -> (column names, rows sorted by repr)
DataSnapshot = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


def listing(values: tuple[str, ...]) -> str:
    """Names as one parenthesised, comparable phrase: "(a, b)"."""
    return f"({', '.join(values)})"


def _type_text(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot render: its repr still tells two types apart
        return repr(type_)


def _fk_options(foreign_key: ReflectedForeignKeyConstraint) -> str:
    """ON DELETE / ON UPDATE and the like, as one comparable phrase ("none" without any)."""
    options = sorted((key, str(value).lower()) for key, value in (foreign_key.get("options") or {}).items() if value)
    return ", ".join(f"{key} {value}" for key, value in options) or "none"


def _index_columns(index: ReflectedIndex) -> tuple[str, ...]:
    names = index.get("column_names") or []
    expressions = index.get("expressions") or []
    return tuple(name if name is not None else str(expressions[i]) for i, name in enumerate(names)) or tuple(
        str(e) for e in expressions
    )


def _column_shape(column: ReflectedColumn, dialect: sa.Dialect) -> dict[str, Any]:
    """Type, nullability and default (spelled as settings' comparison normalises it), and a computed expression."""
    default = column.get("default")
    shape = {
        "type": _type_text(column["type"], dialect),
        "nullable": bool(column["nullable"]),
        "default": _normalize_default(None if default is None else str(default), None),
    }
    if column.get("computed"):
        shape["computed"] = normalize_check(str(column["computed"].get("sqltext", "")))
    return shape


def _table_shape(inspector: sa.Inspector, table: str, dialect: sa.Dialect, checks: CheckConstraints) -> dict[str, Any]:
    return {
        "columns": {column["name"]: _column_shape(column, dialect) for column in inspector.get_columns(table)},
        "primary key": tuple(inspector.get_pk_constraint(table).get("constrained_columns") or ()),
        "foreign keys": {
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"])): _fk_options(fk)
            for fk in inspector.get_foreign_keys(table)
        },
        "indexes": {ix["name"]: (_index_columns(ix), bool(ix["unique"])) for ix in inspector.get_indexes(table)},
        "unique constraints": {
            u["name"] or listing(tuple(u["column_names"])): listing(tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(table)
        },
        "check constraints": {
            name or normalize_check(text): normalize_check(text) for name, text in checks.get(table, ())
        },
    }


def schema_snapshot(connection: Connection) -> dict[str, Any]:
    """Tables (columns with type, nullability and default; keys, indexes, uniques, CHECKs), views, and
    named enum types (PostgreSQL's) with their labels in order: what a downgrade must put back exactly."""
    inspector = sa.inspect(connection)
    checks = check_constraints(connection)
    tables = {
        table: _table_shape(inspector, table, connection.dialect, checks)
        for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES)
    }
    enums = backend_of(connection).enum_types(inspector)
    return {"tables": tables, "enums": enums, "views": tuple(sorted(inspector.get_view_names()))}


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def data_snapshot(connection: Connection) -> DataSnapshot:
    """Every table's column names and rows, sorted, with JSON text parsed so formatting does not count."""
    data = {}
    for name, table in sorted(reflect(connection).tables.items()):
        rows = [tuple(_plain(v) for v in row) for row in connection.execute(sa.select(table))]
        data[name] = (tuple(column.name for column in table.columns), sorted(rows, key=repr))
    return data
