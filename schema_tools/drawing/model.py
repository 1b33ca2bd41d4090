"""The diagram model: tables, columns, indexes and foreign keys as drawn, each with its diff status; no rendering."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Status = Literal["same", "added", "removed", "changed"]
SAME: Status = "same"
ADDED: Status = "added"
REMOVED: Status = "removed"
CHANGED: Status = "changed"


@dataclass(frozen=True)
class ColumnView:
    """A column as drawn: its markers, type, nullability and diff status (`before`: what a change replaced)."""

    name: str
    type: str
    nullable: bool
    primary_key: bool
    foreign_key: bool
    status: Status = SAME
    before: str | None = None
    unique: bool = False  # a single-column UNIQUE constraint or unique index
    default: str | None = None
    comment: str | None = None
    risk: str | None = None  # in a diff: the worst risk of the changes to this column (schema_tools.rules)


@dataclass(frozen=True)
class IndexView:
    """An index or unique constraint as drawn; `name` lets a diff find it without reading `text`."""

    text: str
    name: str | None
    columns: tuple[str, ...]
    status: Status = SAME
    risk: str | None = None


@dataclass(frozen=True)
class TableView:
    """A table as drawn (`risk`: in a diff, the worst risk of all the table's changes)."""

    name: str
    columns: tuple[ColumnView, ...]
    indexes: tuple[IndexView, ...] = ()
    status: Status = SAME
    comment: str | None = None
    risk: str | None = None


@dataclass(frozen=True)
class Edge:
    """A foreign key as drawn: child columns to parent columns (`name`: the constraint's, for diffs)."""

    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    nullable: bool
    unique: bool
    status: Status = SAME
    name: str | None = None
    risk: str | None = None

    def with_status(self, status: Status, risk: str | None = None) -> Edge:
        return replace(self, status=status, risk=risk)


COUNT_KEYS = ("+tables", "-tables", "+columns", "-columns", "~columns")
_COLUMN_COUNT_KEYS = {ADDED: "+columns", REMOVED: "-columns", CHANGED: "~columns"}


@dataclass(frozen=True)
class Diagram:
    """One diagram, whatever it was built from: models, a database, a revision or a diff.

    Edges may name tables that are not drawn: filters drop tables, and the renderer's caller prunes edges once.
    `changed` names the tables a diff touched (the start of the changed-only neighbourhood).
    """

    title: str
    tables: tuple[TableView, ...]
    edges: tuple[Edge, ...]
    diff_mode: bool = False
    changed: frozenset[str] = frozenset()

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)

    def counts(self) -> dict[str, int]:
        """Added, removed and changed tables and columns (all zero outside a diff)."""
        counts = dict.fromkeys(COUNT_KEYS, 0)
        for table in self.tables:
            if table.status == ADDED:
                counts["+tables"] += 1
            elif table.status == REMOVED:
                counts["-tables"] += 1
            else:
                for column in table.columns:
                    key = _COLUMN_COUNT_KEYS.get(column.status)
                    if key:
                        counts[key] += 1
        return counts
