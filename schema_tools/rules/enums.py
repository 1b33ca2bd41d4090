"""Enum rules: a removed label strands the rows holding it, a reorder changes comparisons, a drop needs no users."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from .engine import RuleContext, Subject, plan_rule, rule
from .types import as_type
from .verdict import DATA_LOSS, ERROR, INFO, MAY_FAIL, SAFE, WARNING, Verdict, plural

_REMOVED_FIX = "move those rows to a kept label in a data migration first (op.execute UPDATE), or keep the label"


def _pairs(columns: Iterable[str]) -> list[tuple[str, str]]:
    """("table", "column") from a type change's "table.column" names."""
    return [(dotted.rsplit(".", 1)[0], dotted.rsplit(".", 1)[1]) for dotted in columns if "." in dotted]


def _labels(labels: Iterable[str]) -> str:
    return ", ".join(map(repr, labels))


def rows_with(
    context: RuleContext, schema: str | None, columns: Iterable[tuple[str, str]], labels: Sequence[str]
) -> int | None:
    """Rows whose column holds one of `labels`, over every column (read-only); None without a connection."""
    if context.connection is None:
        return None
    total = 0
    for table, column in columns:
        if not context.has_columns(table, [column]):
            continue
        source = sa.table(table, sa.column(column), schema=schema)
        query = sa.select(sa.func.count()).select_from(source).where(sa.cast(source.c[column], sa.String).in_(labels))
        total += int(context.connection.execute(query).scalar_one())
    return total


def _type_change(subject: Subject) -> tuple[Any, Any] | None:
    """(old, new) of a modify_type between two enums (MySQL's ENUM, a non-native Enum's CHECK), else None."""
    raw = subject.change.raw
    old, new = (as_type(raw[5]), as_type(raw[6])) if len(raw) > 6 else (None, None)
    return (old, new) if isinstance(old, sa.Enum) and isinstance(new, sa.Enum) else None


def _removal(subject: Subject) -> tuple[str, str | None, list[tuple[str, str]], tuple[str, ...]] | None:
    """(what, schema, columns, removed labels) of a change that removes labels, else None."""
    change = subject.change
    if change.kind == "remove_enum_label":
        return f"enum type {change.name}", change.raw[1], _pairs(change.columns), tuple(change.raw[7])
    types = _type_change(subject)
    if types is None:
        return None
    removed = tuple(label for label in types[0].enums if label not in set(types[1].enums))
    return (f"{subject.table}.{change.name}", None, [(subject.table, change.name or "")], removed) if removed else None


@rule("enum-label-removed", "remove_enum_label", "modify_type")
def enum_label_removed(subject: Subject, context: RuleContext) -> Verdict | None:
    """Removing an enum label fails on (or, on MySQL without strict mode, blanks) every row holding it; the rows
    are counted. No row holding it now is a warning: a row written before the upgrade may.

    Fix: move those rows to a kept label in a data migration first, or keep the label."""
    found = _removal(subject)
    if found is None:
        return None
    what, schema, columns, removed = found
    said = f"removes label(s) {_labels(removed)} from {what}"
    rows = rows_with(context, schema, columns, removed)
    if rows is None:
        message = f"{said}: rows holding them cannot stay"
        return Verdict("enum-label-removed", DATA_LOSS, ERROR, message, _REMOVED_FIX, loss=said)
    if rows:
        message = f"{said}: {plural(rows, 'row')} hold them"
        return Verdict("enum-label-removed", DATA_LOSS, ERROR, message, _REMOVED_FIX, rows, f"{said} ({rows} rows)")
    message = f"{said}; no current row holds them, but a row written before the upgrade may"
    return Verdict("enum-label-removed", MAY_FAIL, WARNING, message, _REMOVED_FIX, 0)


@rule("enum-label-added", "add_enum_label")
def enum_label_added(subject: Subject, context: RuleContext) -> Verdict:
    """Adding a label to an enum type keeps every row. ALTER TYPE ... ADD VALUE runs in an autocommit block:
    before PostgreSQL 12 it cannot run in a transaction, and a new label is unusable until its transaction commits.

    Fix: nothing; keep the rendered autocommit block, which commits the revision's earlier steps."""
    change = subject.change
    return Verdict(
        "enum-label-added", SAFE, INFO, f"adds label(s) {_labels(change.raw[7])} to enum type {change.name}",
        "keep the autocommit block the revision renders around ALTER TYPE ... ADD VALUE",
    )  # fmt: skip


def _reordered(subject: Subject) -> bool:
    if subject.change.kind == "reorder_enum_labels":
        return True
    types = _type_change(subject)
    if types is None or not all(getattr(t, "native_enum", False) for t in types):
        return False  # a CHECK's IN-list has no order
    kept = set(types[0].enums) & set(types[1].enums)
    return [x for x in types[0].enums if x in kept] != [x for x in types[1].enums if x in kept]


@rule("enum-labels-reordered", "reorder_enum_labels", "modify_type")
def enum_labels_reordered(subject: Subject, context: RuleContext) -> Verdict | None:
    """Reordering a native enum's labels changes ORDER BY and <, > on it (they compare by position).

    Fix: check queries that sort or compare the column; append new labels instead of reordering."""
    if not _reordered(subject):
        return None
    change = subject.change
    message = f"reorders the labels of {change.name}: {change.before} -> {change.after}; sorting and < > change"
    return Verdict("enum-labels-reordered", MAY_FAIL, WARNING, message, "check queries that sort or compare it")


@rule("enum-type-created", "add_enum_type", "rename_enum_type")
def enum_type_created(subject: Subject, context: RuleContext) -> Verdict:
    """Creating or renaming an enum type touches no row.

    Fix: nothing."""
    change = subject.change
    verb = "renames enum type" if change.kind == "rename_enum_type" else "creates enum type"
    return Verdict("enum-type-created", SAFE, INFO, f"{verb} {change.name} ({change.after})")


def _gone(subjects: Sequence[Subject]) -> tuple[set[str], set[tuple[str, str]]]:
    """Tables the plan drops, and (table, column) pairs it drops or retypes: they stop using a type."""
    tables = {s.table for s in subjects if s.change.kind == "remove_table"}
    columns = {(s.table, s.change.name or "") for s in subjects if s.change.kind in ("remove_column", "modify_type")}
    return tables, columns


@plan_rule("enum-type-dropped")
def enum_type_dropped(subjects: Sequence[Subject], context: RuleContext) -> Iterator[tuple[int, Verdict]]:
    """DROP TYPE fails while a column still uses the type; the live users are read, less those the same
    revision drops or retypes first.

    Fix: drop or retype those columns first (or keep the type in the models)."""
    drops = [(i, s) for i, s in enumerate(subjects) if s.change.kind == "remove_enum_type"]
    if not drops:
        return
    tables, columns = _gone(subjects)
    for index, subject in drops:
        name, schema = subject.change.name or "", subject.change.raw[1]
        current = context.backend.named_enums(context.connection, schema) if context.connection is not None else None
        users = [pair for pair in (current[name].columns if current and name in current else ())
                 if pair[0] not in tables and pair not in columns]  # fmt: skip
        if users:
            message = f"DROP TYPE {name} fails: {', '.join(f'{t}.{c}' for t, c in users)} still use it"
            yield index, Verdict("enum-type-dropped", MAY_FAIL, ERROR, message, "drop or retype those columns first")
        else:
            yield index, Verdict("enum-type-dropped", SAFE, INFO, f"drops enum type {name}: no column uses it")
