"""PostgreSQL enum types: labels and columns from the catalog, and the DDL that adds, swaps and renames them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import IdentifierPreparer

from .base_enums import NamedEnum

_SCHEMA = "coalesce(CAST(:schema AS name), current_schema())"
# One query per diff: each type's labels in sort order, and the columns of plain and partitioned tables in the
# type's own schema whose type is the enum itself (not an array of it), as [table, column] pairs.
_TYPES = sa.text(
    "SELECT t.typname, ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), "
    "ARRAY(SELECT ARRAY[c.relname::text, a.attname::text] FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "WHERE a.atttypid = t.oid AND c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
    "AND NOT a.attisdropped ORDER BY c.relname, a.attname) "
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
    f"WHERE t.typtype = 'e' AND n.nspname = {_SCHEMA} ORDER BY t.typname"
)
_DEFAULT = sa.text(
    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
    "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
    "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE n.nspname = {_SCHEMA} AND c.relname = :table AND a.attname = :column"
)


def named_enums(connection: Connection, schema: str | None) -> dict[str, NamedEnum]:
    """Every enum type of `schema` (None: the current one) with its labels and the columns using it."""
    return {
        name: NamedEnum(name, tuple(labels), tuple((table, column) for table, column in columns or ()))
        for name, labels, columns in connection.execute(_TYPES, {"schema": schema})
    }


def column_default(connection: Connection, schema: str | None, table: str, column: str) -> str | None:
    """A column's server default as PostgreSQL deparses it ('a'::mood), or None."""
    row = connection.execute(_DEFAULT, {"schema": schema, "table": table, "column": column}).first()
    return None if row is None else str(row[0])


def literal(label: str) -> str:
    """A label as an SQL string literal (DDL takes no bound parameters)."""
    return "'" + label.replace("'", "''") + "'"


def qualified(preparer: IdentifierPreparer, schema: str | None, name: str) -> str:
    return f"{preparer.quote_schema(schema)}.{preparer.quote(name)}" if schema else preparer.quote(name)


def adds_only(old: Sequence[str], new: Sequence[str]) -> bool:
    """Does `new` keep every label of `old`, in the same order, and only add? (ALTER TYPE ... ADD VALUE suffices.)"""
    return set(old) <= set(new) and [label for label in new if label in set(old)] == list(old)


def create_type(preparer: IdentifierPreparer, schema: str | None, name: str, labels: Iterable[str]) -> str:
    return f"CREATE TYPE {qualified(preparer, schema, name)} AS ENUM ({', '.join(map(literal, labels))})"


def drop_type(preparer: IdentifierPreparer, schema: str | None, name: str) -> str:
    return f"DROP TYPE {qualified(preparer, schema, name)}"


def rename_type(preparer: IdentifierPreparer, schema: str | None, old: str, new: str) -> str:
    return f"ALTER TYPE {qualified(preparer, schema, old)} RENAME TO {preparer.quote(new)}"


def add_values(
    preparer: IdentifierPreparer, schema: str | None, name: str, old: Sequence[str], new: Sequence[str]
) -> list[str]:
    """ALTER TYPE ... ADD VALUE for each label `new` adds, placed AFTER its predecessor (or BEFORE the first)."""
    present, statements = list(old), []
    target = qualified(preparer, schema, name)
    for index, label in enumerate(new):
        if label in present:
            continue
        if index > 0:
            where = f" AFTER {literal(new[index - 1])}"
        else:
            where = f" BEFORE {literal(present[0])}" if present else ""
        statements.append(f"ALTER TYPE {target} ADD VALUE {literal(label)}{where}")
        present.insert(present.index(new[index - 1]) + 1 if index > 0 else 0, label)
    return statements


def swap_type(
    preparer: IdentifierPreparer,
    schema: str | None,
    name: str,
    labels: Sequence[str],
    columns: Sequence[tuple[str, str]],
    defaults: dict[tuple[str, str], str],
) -> list[str]:
    """Labels removed or reordered: rename the type aside, create it anew, move each column over, drop the old.

    A column's default (`defaults`, deparsed before the rename) is dropped for the cast and set again after."""
    target, aside = qualified(preparer, schema, name), f"{name}__old"
    statements = [rename_type(preparer, schema, name, aside), create_type(preparer, schema, name, labels)]
    for table, column in columns:
        alter = f"ALTER TABLE {qualified(preparer, schema, table)} ALTER COLUMN {preparer.quote(column)}"
        default = defaults.get((table, column))
        if default is not None:
            statements.append(f"{alter} DROP DEFAULT")
        statements.append(f"{alter} TYPE {target} USING {preparer.quote(column)}::text::{target}")
        if default is not None:
            statements.append(f"{alter} SET DEFAULT {default}")
    statements.append(drop_type(preparer, schema, aside))
    return statements
