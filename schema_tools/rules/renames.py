"""The rename rule: a dropped column (or table) plus an added one that looks the same is probably a rename."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from .engine import RuleContext, Subject, plan_rule
from .types import family
from .verdict import SAFE, WARNING, Verdict


@plan_rule("rename-suspicion")
def rename_suspicion(subjects: Sequence[Subject], context: RuleContext) -> Iterator[tuple[int, Verdict]]:
    """A drop plus an add of the same shape reads as a rename, and a rename written as drop + add loses the values.

    Fix: op.alter_column(new_column_name=...) or op.rename_table() (Draft.apply_rename, apply_table_rename)."""
    for index, table, dropped, added in suspected_column_renames(subjects):
        message = f"{table}.{dropped} is dropped and {table}.{added} of a compatible type is added: a rename?"
        fix = (
            f'op.alter_column("{table}", "{dropped}", new_column_name="{added}") keeps the values: '
            f'Draft.apply_rename("{table}", "{dropped}", "{added}")'
        )
        yield index, Verdict("rename-suspicion", SAFE, WARNING, message, fix)
    for index, dropped_table, created in suspected_table_renames(subjects):
        message = f"table {dropped_table} is dropped and {created} with the same columns is created: a rename?"
        fix = (
            f'op.rename_table("{dropped_table}", "{created}") keeps the rows: '
            f'Draft.apply_table_rename("{dropped_table}", "{created}")'
        )
        yield index, Verdict("rename-suspicion", SAFE, WARNING, message, fix)


def _column(subject: Subject) -> sa.Column[Any] | None:
    raw = subject.change.raw
    return raw[3] if len(raw) > 3 and isinstance(raw[3], sa.Column) else None


def suspected_column_renames(subjects: Sequence[Subject]) -> list[tuple[int, str, str, str]]:
    """(index of the drop, table, dropped, added): a table loses a column and gains one of the same type family."""
    by_table: dict[str, tuple[list[int], list[int]]] = {}
    for index, subject in enumerate(subjects):
        if subject.change.kind == "remove_column":
            by_table.setdefault(subject.table, ([], []))[0].append(index)
        elif subject.change.kind == "add_column":
            by_table.setdefault(subject.table, ([], []))[1].append(index)
    found = []
    for table, (drops, adds) in sorted(by_table.items()):
        available = list(adds)
        for drop in drops:
            old = _column(subjects[drop])
            known = old is not None and not isinstance(old.type, sa.types.NullType)
            candidates = [
                a for a in available if not known or family(_type(old)) == family(_type(_column(subjects[a])))
            ]
            if not candidates:
                continue
            # The likeliest new name: the same type, then the same nullability, then the order written.
            best = max(candidates, key=lambda a: _rename_score(old if known else None, _column(subjects[a])))
            available.remove(best)
            found.append((drop, table, subjects[drop].change.name or "", subjects[best].change.name or ""))
    return found


def _type(column: sa.Column[Any] | None) -> Any:
    return None if column is None else column.type


def _rename_score(old: sa.Column[Any] | None, new: sa.Column[Any] | None) -> int:
    if old is None or new is None:
        return 0
    return 2 * (repr(old.type) == repr(new.type)) + (old.nullable == new.nullable)


def suspected_table_renames(subjects: Sequence[Subject]) -> list[tuple[int, str, str]]:
    """(index of the drop, dropped, created): a table goes and another with the same column names comes."""
    created = [s for s in subjects if s.change.kind == "add_table"]
    found = []
    for index, subject in enumerate(subjects):
        if subject.change.kind != "remove_table" or not subject.change.columns:
            continue
        for create in created:
            if set(create.change.columns) == set(subject.change.columns):
                found.append((index, subject.table, create.table))
                break
    return found
