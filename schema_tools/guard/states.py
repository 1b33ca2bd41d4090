"""What a scratch run is judged by: each table's columns, rows and sampled values, and what went between two."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..changes import type_text
from ..dialects import Backend
from ..rules.catalog import type_change_loss
from ..settings import INTERNAL_TABLES

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class TableState:
    """What the guard compares of one table: its columns' types, its row count, and a sample of its values
    (so a renamed column or table, which keeps its values, is told from a drop and a new one)."""

    columns: dict[str, Any]
    rows: int | None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)


def schema_state(connection: Connection) -> dict[str, TableState]:
    """Tables, column types, row counts and sampled values, read through `connection` (inside a migration's
    transaction too, to see the schema exactly as one revision left it)."""
    inspector = sa.inspect(connection)
    state = {}
    for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES):
        columns = {column["name"]: column["type"] for column in inspector.get_columns(table)}
        handle = sa.table(table, *(sa.column(name) for name in columns))
        rows = int(connection.execute(sa.select(sa.func.count()).select_from(handle)).scalar_one())
        sample = connection.execute(sa.select(handle).limit(SAMPLE_ROWS)).all() if columns else []
        values = {name: tuple(sorted(repr(row[index]) for row in sample)) for index, name in enumerate(columns)}
        state[table] = TableState(columns, rows, values)
    return state


def _same_values(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Two columns hold the same values (and some value at all: an all-NULL column proves no rename)."""
    return bool(left) and left == right and any(value != "None" for value in left)


def losses_between(before: dict[str, TableState], after: dict[str, TableState]) -> tuple[str, ...]:
    """What a step destroyed: tables and columns gone (a rename keeps its values), types narrowed, rows deleted."""
    found = list(_dropped_tables(before, after))
    for name, old in before.items():
        current = after.get(name)
        if current is not None:
            found.extend(_dropped_columns(name, old, current))
            found.extend(_narrowed_types(name, old, current))
            if old.rows is not None and current.rows is not None and current.rows < old.rows:
                found.append(f"deletes {old.rows - current.rows} of {old.rows} seeded row(s) from {name}")
    return tuple(found)


def _dropped_tables(before: dict[str, TableState], after: dict[str, TableState]) -> list[str]:
    """Tables gone, except one that reappears under a new name with the same columns, rows and values."""
    found = []
    new_tables = [name for name in after if name not in before]
    for name in (name for name in before if name not in after):
        old = before[name]
        renamed = [other for other in new_tables if _same_table(old, after[other])]
        if renamed and old.rows:
            new_tables.remove(renamed[0])
            continue
        rows = f" ({old.rows} seeded row(s))" if old.rows else ""
        found.append(f"drops table {name}{rows}")
    return found


def _same_table(old: TableState, new: TableState) -> bool:
    return (
        set(new.columns) == set(old.columns)
        and new.rows == old.rows
        and all(new.values.get(column) == old.values.get(column) for column in old.columns)
    )


def _dropped_columns(name: str, old: TableState, current: TableState) -> list[str]:
    """Columns gone, except one whose values reappear in a new column (alter_column(new_column_name=...))."""
    found = []
    added = [column for column in current.columns if column not in old.columns]
    for column in (column for column in old.columns if column not in current.columns):
        same = [other for other in added if _same_values(current.values.get(other, ()), old.values.get(column, ()))]
        if same:
            added.remove(same[0])
            continue
        found.append(f"drops column {name}.{column}")
    return found


def _narrowed_types(name: str, old: TableState, current: TableState) -> list[str]:
    """Column types the rule engine calls data loss, between the two reflected schemas."""
    found = []
    for column, old_type in old.columns.items():
        new_type = current.columns.get(column)
        if new_type is None or type_text(old_type, None) == type_text(new_type, None):
            continue
        loss = type_change_loss(name, column, old_type, new_type, Backend())
        if loss is not None:
            found.append(loss)
    return found
