"""What reflecting MySQL or MariaDB loses or adds against the models, and how a copy elsewhere gets it back."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

# MariaDB's JSON columns and their CHECK_CONSTRAINTS came with MariaDB 10.2.
_MARIADB_JSON_SINCE = (10, 2)
_MARIADB_JSON_CHECK = re.compile(r"^json_valid\(`(?P<column>(?:[^`]|``)+)`\)$", re.IGNORECASE)


def restore_reflected(connection: Connection, tables: dict[str, sa.Table], models: sa.MetaData) -> None:
    """Give the reflected `tables` back the unique constraints and JSON types the server re-spelled."""
    restore_unique_constraints(tables, models)
    version = connection.dialect.server_version_info or ()
    if getattr(connection.dialect, "is_mariadb", False) and version >= _MARIADB_JSON_SINCE:
        restore_mariadb_json(connection, tables)


def restore_unique_constraints(tables: dict[str, sa.Table], models: sa.MetaData) -> None:
    """Give back the unique constraints the models declare, which MySQL keeps (and reflects) as unique indexes.

    Both spellings are one thing on MySQL, not on SQLite: a rebuild there copies what the models would create.
    """
    for name, table in tables.items():
        model = models.tables.get(name)
        if model is None:
            continue
        declared = {c.name for c in model.constraints if isinstance(c, sa.UniqueConstraint) and c.name}
        for index in list(table.indexes):
            if index.unique and index.name in declared and len(index.columns) == len(index.expressions):
                table.indexes.discard(index)
                table.append_constraint(sa.UniqueConstraint(*index.columns.keys(), name=index.name))


def restore_mariadb_json(connection: Connection, tables: dict[str, sa.Table]) -> None:
    """Give back JSON to the columns MariaDB declares as LONGTEXT CHECK (json_valid(col)), its spelling of JSON.

    SQLAlchemy reflects them as LONGTEXT; a SQLite rebuild copied from them would turn JSON columns into TEXT.
    """
    if not tables:
        return
    rows = connection.execute(
        sa.text(
            "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE()"
        )
    )
    for table_name, clause in rows:
        match = _MARIADB_JSON_CHECK.match(str(clause).strip())
        table = tables.get(table_name)
        if match is None or table is None:
            continue
        column = table.columns.get(match.group("column").replace("``", "`"))
        if column is not None and isinstance(column.type, sa.Text | sa.String):
            column.type = sa.JSON()


def implicit_indexes(table: sa.Table) -> set[sa.Index]:
    """The indexes MySQL creates by itself on foreign key columns (Alembic leaves them out of its comparison)."""
    foreign_keys = {fk.name: {c.name for c in fk.columns} for fk in table.foreign_key_constraints}
    implicit: set[sa.Index] = set()
    for index in table.indexes:
        columns = {c.name for c in index.columns}
        if not index.unique and (foreign_keys.get(index.name) == columns or {index.name} == columns):
            implicit.add(index)
    return implicit


def portable_candidates(type_: TypeEngine[Any]) -> tuple[TypeEngine[Any], ...]:
    """MySQL spells BOOLEAN as TINYINT(1): a copy elsewhere should be a Boolean again."""
    if isinstance(type_, mysql.TINYINT) and type_.display_width == 1:
        return (sa.Boolean(),)
    return ()
