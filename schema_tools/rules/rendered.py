"""Each rule subject as the SQL its operation runs, rendered offline with Alembic, for linters that read SQL."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from ..draft_sql import as_written
from .engine import Subject

_MODIFY_KEYS = {
    "modify_type": "modify_type",
    "modify_nullable": "modify_nullable",
    "modify_default": "modify_server_default",
    "modify_comment": "modify_comment",
}


def _alter(diff: tuple[Any, ...]) -> ops.AlterColumnOp | None:
    key = _MODIFY_KEYS.get(diff[0])
    if key is None:
        return None
    _, schema, table, column, existing, _old, new = diff
    existing = dict(existing or {})
    if diff[0] == "modify_type":
        existing["existing_type"] = _old
    return ops.AlterColumnOp(table, column, schema=schema, **{key: new}, **existing)


_FROM_DIFF: dict[str, Callable[[tuple[Any, ...]], Any]] = {
    "add_table": lambda d: ops.CreateTableOp.from_table(d[1]),
    "remove_table": lambda d: ops.DropTableOp.from_table(d[1]),
    "add_column": lambda d: ops.AddColumnOp(d[2], d[3], schema=d[1]),
    "remove_column": lambda d: ops.DropColumnOp.from_column_and_tablename(d[1], d[2], d[3]),
    "add_index": lambda d: ops.CreateIndexOp.from_index(d[1]),
    "remove_index": lambda d: ops.DropIndexOp.from_index(d[1]),
    "add_constraint": lambda d: ops.AddConstraintOp.from_constraint(d[1]),
    "remove_constraint": lambda d: ops.DropConstraintOp.from_constraint(d[1]),
    "add_fk": lambda d: ops.CreateForeignKeyOp.from_constraint(d[1]),
    "remove_fk": lambda d: ops.DropConstraintOp.from_constraint(d[1]),
}


def operation_of(subject: Subject) -> Any:
    """The one operation that makes this subject's change: rebuilt from the diff tuple, else the subject's op."""
    raw = subject.change.raw
    try:
        built = _alter(raw) if raw and raw[0].startswith("modify_") else None
        if built is None and raw and raw[0] in _FROM_DIFF:
            built = _FROM_DIFF[raw[0]](raw)
    except (TypeError, ValueError, AttributeError, IndexError):
        built = None
    return built if built is not None else subject.op


@dataclass(frozen=True)
class Script:
    """The SQL of every subject in one text, and which lines (first, last; 0-based) belong to which subject."""

    text: str
    spans: tuple[tuple[int, int, int], ...]  # (subject index, first line, last line)

    def subject_at(self, line: int) -> int | None:
        return next((index for index, first, last in self.spans if first <= line <= last), None)


def render(subjects: Sequence[Subject], dialect_name: str) -> Script:
    """Every subject's operation as `dialect_name` SQL; a subject whose operation renders nothing is left out."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect_name,
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True, "transactional_ddl": False},
    )
    operations = Operations(context)
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    line = 0
    for index, subject in enumerate(subjects):
        operation = operation_of(subject)
        if operation is None:
            continue
        buffer.seek(0)
        buffer.truncate()
        try:
            operations.invoke(as_written(operation, None))
        except Exception:  # noqa: BLE001 - an op this dialect cannot render is judged by the other rules
            continue
        text = buffer.getvalue().strip()
        if not text:
            continue
        lines = text.count("\n") + 1
        spans.append((index, line, line + lines - 1))
        parts.append(text)
        line += lines + 1  # a blank line between subjects
    return Script("\n\n".join(parts) + ("\n" if parts else ""), tuple(spans))
