"""Build a Diagram from a MetaData (models, a reflected database, or the schema at a revision)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData

from ..changes import fk_target
from .model import SAME, ColumnView, Diagram, Edge, IndexView, Status, TableView


def type_text(column: sa.Column[Any]) -> str:
    """The column's type in the default dialect's spelling, or its class name when that cannot compile it."""
    try:
        return str(column.type.compile())
    except Exception:  # a dialect-specific type the default dialect cannot compile
        return type(column.type).__name__.upper()


def default_text(column: sa.Column[Any]) -> str | None:
    """The server default's SQL, else a scalar Python default's repr, else a callable default's name."""
    server = column.server_default
    if isinstance(server, sa.DefaultClause):
        arg = server.arg
        return str(arg.text) if isinstance(arg, sa.TextClause) else str(arg)
    default = column.default
    if isinstance(default, sa.ColumnDefault):
        if default.is_scalar:
            return repr(default.arg)
        return f"{getattr(default.arg, '__name__', 'function')}()"
    return None


def single_unique(table: sa.Table) -> set[str]:
    """Columns that are unique on their own: a one-column UNIQUE constraint or unique index."""
    return {columns[0] for columns in _unique_sets(table) - {_primary(table)} if len(columns) == 1}


def _primary(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


def fk_columns(table: sa.Table) -> set[str]:
    """The names of the columns that take part in a foreign key."""
    return {element.parent.name for fk in table.foreign_key_constraints for element in fk.elements}


def _unique_sets(table: sa.Table) -> set[tuple[str, ...]]:
    sets = {_primary(table)}
    sets |= {(c.name,) for c in table.columns if c.unique}
    sets |= {tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, sa.UniqueConstraint)}
    sets |= {tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique}
    return sets


def index_views(table: sa.Table, status: Status = SAME) -> list[IndexView]:
    """Indexes by name, then unique constraints by name, each as one line of text."""
    views = []
    for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
        columns = tuple(c.name for c in index.columns)
        text = f"{'UNIQUE' if index.unique else 'INDEX'} {index.name} ({', '.join(columns)})"
        views.append(IndexView(text, index.name, columns, status))
    uniques = (c for c in table.constraints if isinstance(c, sa.UniqueConstraint))
    for constraint in sorted(uniques, key=lambda c: str(c.name or "")):
        columns = tuple(c.name for c in constraint.columns)
        text = f"UNIQUE {constraint.name or ''} ({', '.join(columns)})".replace("  ", " ")
        views.append(IndexView(text, None if constraint.name is None else str(constraint.name), columns, status))
    return views


def column_view(
    column: sa.Column[Any], foreign: set[str], status: Status = SAME, before: str | None = None,
    unique: set[str] | None = None,
) -> ColumnView:  # fmt: skip
    """One column's row; `unique` is the table's single_unique() when the caller has it already."""
    if unique is None:
        unique = single_unique(column.table) if isinstance(column.table, sa.Table) else set()
    return ColumnView(
        name=column.name,
        type=type_text(column),
        nullable=bool(column.nullable),
        primary_key=bool(column.primary_key),
        foreign_key=column.name in foreign,
        status=status,
        before=before,
        unique=column.name in unique,
        default=default_text(column),
        comment=column.comment,
    )


def table_view(table: sa.Table, status: Status = SAME) -> TableView:
    """The whole table in one status (a table that a diff adds or removes, or any table outside a diff)."""
    foreign, unique = fk_columns(table), single_unique(table)
    columns = tuple(column_view(c, foreign, status, unique=unique) for c in table.columns)
    return TableView(table.name, columns, tuple(index_views(table, status)), status, table.comment)


def edges_of(table: sa.Table, status: Status = SAME) -> list[Edge]:
    """The table's foreign keys, in the table's order; unique when the child columns are a key of their own."""
    unique_sets = _unique_sets(table)
    edges = []
    for fk in table.foreign_key_constraints:
        referred, referred_columns = fk_target(fk)
        columns = tuple(element.parent.name for element in fk.elements)
        nullable = any(table.c[name].nullable for name in columns if name in table.c)
        name = None if fk.name is None else str(fk.name)
        edges.append(
            Edge(table.name, columns, referred, referred_columns, nullable, columns in unique_sets, status, name)
        )
    return edges


def diagram_of_metadata(metadata: MetaData, title: str, only: Collection[str] | None = None) -> Diagram:
    """Every table (or the tables in `only`) and every foreign key of the MetaData, in name order; only read.

    A focus (draw.diagram_of) passes its neighbourhood as `only`: the other tables are not drawn at all.
    """
    names = [name for name in sorted(metadata.tables) if only is None or metadata.tables[name].name in only]
    tables = tuple(table_view(metadata.tables[name]) for name in names)
    edges = tuple(edge for name in names for edge in edges_of(metadata.tables[name]))
    return Diagram(title, tables, edges)
