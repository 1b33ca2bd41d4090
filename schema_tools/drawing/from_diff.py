"""Build a Diagram of a diff from its Change records and the two schemas: the union, each element with its status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy import MetaData

from ..changes import RISKS, Change
from .from_schema import column_view, edges_of, fk_columns, index_views, table_view
from .model import ADDED, CHANGED, REMOVED, SAME, ColumnView, Diagram, Edge, IndexView, TableView

_ADD_INDEX = frozenset({"add_index", "add_constraint"})
_REMOVE_INDEX = frozenset({"remove_index", "remove_constraint"})


@dataclass(frozen=True)
class _Keys:
    """The objects a table's changes name: by name when they have one, else by their columns."""

    names: frozenset[str]
    columns: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, changes: Iterable[Change], kinds: frozenset[str]) -> _Keys:
        chosen = [change for change in changes if change.kind in kinds]
        return cls(
            frozenset(c.name for c in chosen if c.name),
            frozenset(c.columns for c in chosen if not c.name),
        )

    def __contains__(self, item: tuple[str | None, tuple[str, ...]]) -> bool:
        name, columns = item
        return name in self.names if name else columns in self.columns


def worst(changes: Iterable[Change]) -> str | None:
    """The worst risk among the changes (data loss over may-fail over safe); None when there are none."""
    risks = [change.risk for change in changes if change.risk in RISKS]
    return max(risks, key=RISKS.index) if risks else None


def _risk_of(
    changes: Sequence[Change], kinds: frozenset[str], name: str | None, columns: tuple[str, ...]
) -> str | None:
    """The worst risk of the changes of these kinds about one object, found by name, else by columns."""
    return worst(c for c in changes if c.kind in kinds and (c.name == name if c.name else c.columns == columns))


def diagram_of_changes(changes: Sequence[Change], desired: MetaData, current: MetaData, title: str) -> Diagram:
    """The union of the desired and the current schema; only the Change records say what changed."""
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change.table or "", []).append(change)
    tables: list[TableView] = []
    edges: list[Edge] = []
    for name in sorted(set(desired.tables) | set(current.tables)):
        new, old = desired.tables.get(name), current.tables.get(name)
        table_changes = by_table.get(name, [])
        risk = worst(table_changes)
        if old is None and new is not None:
            tables.append(_whole(table_view(new, ADDED), risk))
            edges.extend(edge.with_status(ADDED, risk) for edge in edges_of(new))
        elif new is None and old is not None:
            tables.append(_whole(table_view(old, REMOVED), risk))
            edges.extend(edge.with_status(REMOVED, risk) for edge in edges_of(old))
        elif new is not None and old is not None:
            columns = _columns(new, old, table_changes)
            indexes = _indexes(new, old, table_changes)
            status = CHANGED if table_changes else SAME
            tables.append(TableView(name, columns, indexes, status, new.comment, risk))
            edges.extend(_edges(new, old, table_changes))
    return Diagram(title, tuple(tables), tuple(edges), diff_mode=True, changed=frozenset(by_table))


def _whole(table: TableView, risk: str | None) -> TableView:
    """A table a diff adds or removes: every part of it carries the table change's risk."""
    columns = tuple(replace(column, risk=risk) for column in table.columns)
    indexes = tuple(replace(index, risk=risk) for index in table.indexes)
    return replace(table, columns=columns, indexes=indexes, risk=risk)


def _column_risks(changes: Sequence[Change], kind: str) -> dict[str, str | None]:
    """Per column a change of this kind adds or removes, the worst risk of those changes."""
    names = {c.name for c in changes if c.kind == kind and c.name}
    return {name: worst(c for c in changes if c.kind == kind and c.name == name) for name in names}


def _columns(new: sa.Table, old: sa.Table, changes: Sequence[Change]) -> tuple[ColumnView, ...]:
    """The desired table's columns (added, changed or same), then the current one's removed columns."""
    added, removed = _column_risks(changes, "add_column"), _column_risks(changes, "remove_column")
    modified: dict[str, list[Change]] = {}
    for change in changes:
        if change.kind.startswith("modify_") and change.name:
            modified.setdefault(change.name, []).append(change)
    fk_new, fk_old = fk_columns(new), fk_columns(old)
    columns = []
    for column in new.columns:
        if column.name in added:
            columns.append(replace(column_view(column, fk_new, ADDED), risk=added[column.name]))
        elif column.name in modified:
            before = "; ".join(f"{c.before} → {c.after}" for c in modified[column.name])
            columns.append(replace(column_view(column, fk_new, CHANGED, before), risk=worst(modified[column.name])))
        else:
            columns.append(column_view(column, fk_new, SAME))
    columns.extend(
        replace(column_view(column, fk_old, REMOVED), risk=removed[column.name])
        for column in old.columns
        if column.name in removed
    )
    return tuple(columns)


def _indexes(new: sa.Table, old: sa.Table, changes: Sequence[Change]) -> tuple[IndexView, ...]:
    """The desired table's indexes (added or same), then the current one's removed indexes."""
    added, removed = _Keys.of(changes, _ADD_INDEX), _Keys.of(changes, _REMOVE_INDEX)
    indexes = [
        replace(view, status=ADDED, risk=_risk_of(changes, _ADD_INDEX, view.name, view.columns))
        if (view.name, view.columns) in added
        else view
        for view in index_views(new)
    ]
    indexes.extend(
        replace(view, status=REMOVED, risk=_risk_of(changes, _REMOVE_INDEX, view.name, view.columns))
        for view in index_views(old)
        if (view.name, view.columns) in removed
    )
    return tuple(indexes)


def _edges(new: sa.Table, old: sa.Table, changes: Sequence[Change]) -> list[Edge]:
    """The desired table's foreign keys (added or same), then the current one's removed ones."""
    added, removed = _Keys.of(changes, frozenset({"add_fk"})), _Keys.of(changes, frozenset({"remove_fk"}))
    add, remove = frozenset({"add_fk"}), frozenset({"remove_fk"})
    edges = [
        edge.with_status(ADDED, _risk_of(changes, add, edge.name, edge.columns))
        if (edge.name, edge.columns) in added
        else edge
        for edge in edges_of(new)
    ]
    edges.extend(
        edge.with_status(REMOVED, _risk_of(changes, remove, edge.name, edge.columns))
        for edge in edges_of(old)
        if (edge.name, edge.columns) in removed
    )
    return edges
