"""Alembic operations as rule subjects: flattened, named for people, and turned into Change records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from alembic.operations import ops

from ..changes import Change, change_from_diff, flatten
from .engine import Subject

# op classes whose diff tuple Alembic cannot produce, and the kind the rules know them by.
_OTHER_KINDS = {
    ops.ExecuteSQLOp: "execute",
    ops.BulkInsertOp: "bulk_insert",
    ops.RenameTableOp: "rename_table",
}
# Kinds that change no row and need no rule: recorded so nothing unknown passes as safe.
SAFE_KINDS = frozenset({"bulk_insert", "rename_table"})


def flatten_ops(container: Any) -> list[tuple[str | None, Any]]:
    """(table, op) for every operation, with ModifyTableOps opened up."""
    pairs: list[tuple[str | None, Any]] = []
    for operation in getattr(container, "ops", container):
        if isinstance(operation, ops.ModifyTableOps):
            pairs.extend((operation.table_name, sub) for sub in operation.ops)
        else:
            pairs.append((getattr(operation, "table_name", None), operation))
    return pairs


_DESCRIPTIONS: dict[type[Any], Callable[[str | None, Any], str]] = {
    ops.AddColumnOp: lambda table, o: f"add_column {table}.{o.column.name}",
    ops.DropColumnOp: lambda table, o: f"drop_column {table}.{o.column_name}",
    ops.AlterColumnOp: lambda table, o: f"alter_column {table}.{o.column_name}",
    ops.CreateTableOp: lambda table, o: f"create_table {o.table_name}",
    ops.DropTableOp: lambda table, o: f"drop_table {o.table_name}",
    ops.CreateIndexOp: lambda table, o: f"create_index {o.index_name} on {table}",
    ops.DropIndexOp: lambda table, o: f"drop_index {o.index_name}",
    ops.CreateUniqueConstraintOp: lambda table, o: f"create_unique_constraint {o.constraint_name} on {table}",
    ops.CreateForeignKeyOp: lambda table, o: f"create_foreign_key {o.constraint_name} on {table}",
    ops.ExecuteSQLOp: lambda table, o: f"execute {' '.join(str(o.sqltext).split())[:60]}",
}


def describe_op(table: str | None, operation: Any) -> str:
    """A short name for an operation: `add_column bots.region`."""
    for cls, render in _DESCRIPTIONS.items():
        if isinstance(operation, cls):
            return render(table, operation)
    return f"{type(operation).__name__} {table or ''}".strip()


def _diff_tuples(operation: Any) -> list[tuple[Any, ...]] | None:
    """Alembic's own diff tuples for an operation; None when it has none (raw SQL, a drop it cannot rebuild)."""
    try:
        produced = operation.to_diff_tuple()
    except (NotImplementedError, ValueError, AttributeError, TypeError):
        return None
    return list(flatten([produced])) if isinstance(produced, tuple) else list(flatten(produced))


def _fallback(table: str | None, operation: Any) -> Change:
    kind = next((kind for cls, kind in _OTHER_KINDS.items() if isinstance(operation, cls)), "unknown")
    if isinstance(operation, ops.DropConstraintOp):
        kind = "remove_fk" if operation.constraint_type == "foreignkey" else "remove_constraint"
        name = operation.constraint_name
        return Change(kind, table, str(name) if name is not None else None)
    return Change(kind, table, getattr(operation, "table_name", None) or table)


def subjects_of_ops(container: Any) -> list[Subject]:
    """One subject per change an operation makes (an alter_column may make several)."""
    subjects = []
    for table, operation in flatten_ops(container):
        name = describe_op(table, operation)
        tuples = _diff_tuples(operation)
        if tuples is None:
            subjects.append(Subject(_fallback(table, operation), name, operation))
            continue
        for item in tuples:
            change = change_from_diff(item, None)
            named = name if type(operation) in _DESCRIPTIONS else describe_change(change)
            subjects.append(Subject(change, named, operation))
    return subjects


def subjects_of_changes(changes: Iterable[Change]) -> list[Subject]:
    """Subjects for a diff's changes, named as the draft's operation for the same change would be."""
    return [Subject(change, describe_change(change)) for change in changes]


_CHANGE_VERBS = {
    "add_column": "add_column {table}.{name}",
    "remove_column": "drop_column {table}.{name}",
    "add_table": "create_table {table}",
    "remove_table": "drop_table {table}",
    "add_index": "create_index {name} on {table}",
    "remove_index": "drop_index {name}",
    "add_constraint": "create_unique_constraint {name} on {table}",
    "add_fk": "create_foreign_key {name} on {table}",
    "add_view": "create_view {name}",
    "remove_view": "drop_view {name}",
    "replace_view": "replace_view {name}",
    "add_enum_type": "create_enum_type {name}",
    "remove_enum_type": "drop_enum_type {name}",
    "rename_enum_type": "rename_enum_type {name}",
    "add_enum_label": "alter_enum_type {name}",
    "remove_enum_label": "alter_enum_type {name}",
    "reorder_enum_labels": "alter_enum_type {name}",
}


def describe_change(change: Change) -> str:
    """The operation name the draft would show for this change."""
    if change.kind.startswith("modify_"):
        return f"alter_column {change.table}.{change.name}"
    template = _CHANGE_VERBS.get(change.kind)
    return template.format(table=change.table, name=change.name) if template else f"{change.kind} {change.table}"


def unknown_kinds(subjects: Iterable[Subject], known: frozenset[str]) -> Iterator[int]:
    """Indexes of subjects no rule looks at and no list calls safe: to be judged risky."""
    for index, subject in enumerate(subjects):
        if subject.change.kind not in known:
            yield index
