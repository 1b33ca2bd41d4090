"""The steps Draft.make_safe adds: an autocommit block and a batched backfill, rendered as plain Alembic code."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op
from alembic.operations import MigrateOperation, Operations, ops

from .errors import ConfigurationError


class AutocommitBlockOp(MigrateOperation):
    """Operations run in `with op.get_context().autocommit_block():`, so each commits on its own."""

    def __init__(self, operations: list[MigrateOperation]) -> None:
        self.ops = operations


@dataclass(frozen=True)
class KeyRanges:
    """A backfill walked along an integer primary key: each batch reads and locks only its own key range.

    Searching for the next NULLs from the start of the table (`WHERE col IS NULL LIMIT n`) rescans every row
    filled already, and on MariaDB locks each row it reads: writers stalled behind late batches.
    """

    bounds: str  # SELECT MIN(key), MAX(key)
    update: str  # the batch: ... AND key >= :start AND key < :stop
    tail: str  # rows written after the bounds were read: ... AND key > :last
    size: int


def backfill_op(
    table: sa.Table, column: str, assignment: str, pending: str, quote: Callable[[str], str], size: int,
    sleep: float, limited: bool,
) -> BackfillOp:  # fmt: skip
    """UPDATE table SET assignment WHERE pending, batch by batch: by key range when the key is one integer."""
    t = quote(table.name)
    keys = list(table.primary_key.columns)
    key = quote(keys[0].name) if len(keys) == 1 else None
    if limited:
        statement = f"UPDATE {t} SET {assignment} WHERE {pending} LIMIT {size}"
    elif key is not None:
        statement = f"UPDATE {t} SET {assignment} WHERE {key} IN (SELECT {key} FROM {t} WHERE {pending} LIMIT {size})"
    else:
        raise ConfigurationError(f"{table.name} has no single-column primary key to backfill it in batches by")
    ranges = None
    if key is not None and _integer(keys[0]):
        where = f"UPDATE {t} SET {_escaped(assignment)} WHERE {_escaped(pending)} AND {_escaped(key)}"
        bounds = f"SELECT MIN({key}), MAX({key}) FROM {t}"
        ranges = KeyRanges(bounds, f"{where} >= :start AND {_escaped(key)} < :stop", f"{where} > :last", size)
    return BackfillOp(table.name, column, statement, sleep, ranges)


def _integer(column: sa.Column[Any]) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


class BackfillOp(MigrateOperation):
    """An UPDATE that fills a column `batch_size` rows at a time until none is left.

    Each batch commits on its own (the op runs inside an autocommit block), so row locks are held only
    for one batch; `batch_sleep` seconds between batches let replicas and other writers catch up.
    """

    def __init__(
        self, table_name: str, column_name: str, statement: str, batch_sleep: float, ranges: KeyRanges | None = None
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.statement = statement
        self.batch_sleep = batch_sleep
        self.ranges = ranges


class NoRowsOp(MigrateOperation):
    """A query that must find no row, or the upgrade stops with `message` (e.g. orphans before an unchecked key)."""

    def __init__(self, query: str, message: str) -> None:
        self.query = query
        self.message = message


def _escaped(statement: str) -> str:
    """SQL as sa.text() reads it: a colon inside a literal is not a bind parameter."""
    return statement.replace(":", "\\:")


@Operations.implementation_for(AutocommitBlockOp)
def run_autocommit_block(operations: Operations, operation: AutocommitBlockOp) -> None:
    with operations.get_context().autocommit_block():
        for sub in operation.ops:
            for step in sub.ops if isinstance(sub, ops.ModifyTableOps) else [sub]:
                operations.invoke(step)


@Operations.implementation_for(BackfillOp)
def run_backfill(operations: Operations, operation: BackfillOp) -> None:
    if operations.get_context().as_sql:  # offline SQL: one batch shows the statement
        operations.execute(operation.statement)
        return
    bind = operations.get_bind()
    ranges = operation.ranges
    if ranges is None:
        while bind.execute(sa.text(_escaped(operation.statement))).rowcount:
            time.sleep(operation.batch_sleep)
        return
    low, high = bind.execute(sa.text(ranges.bounds)).one()
    if low is None:
        return
    for start in range(int(low), int(high) + 1, ranges.size):
        bind.execute(sa.text(ranges.update), {"start": start, "stop": start + ranges.size})
        time.sleep(operation.batch_sleep)
    bind.execute(sa.text(ranges.tail), {"last": int(high)})


@Operations.implementation_for(NoRowsOp)
def run_no_rows(operations: Operations, operation: NoRowsOp) -> None:
    if operations.get_context().as_sql:  # offline SQL: the query shows what the file checks
        operations.execute(operation.query)
        return
    if operations.get_bind().execute(sa.text(_escaped(operation.query))).first() is not None:
        raise RuntimeError(operation.message)


@renderers.dispatch_for(AutocommitBlockOp)
def _render_autocommit_block(autogen_context: AutogenContext, operation: AutocommitBlockOp) -> list[str]:
    lines = ["with op.get_context().autocommit_block():"]
    for sub in operation.ops:
        lines.extend(render_op(autogen_context, sub))
    return [*lines, ""]


@renderers.dispatch_for(BackfillOp)
def _render_backfill(autogen_context: AutogenContext, operation: BackfillOp) -> list[str]:
    sleep = [f"time.sleep({operation.batch_sleep!r})"] if operation.batch_sleep else []
    if sleep:
        autogen_context.imports.add("import time")
    ranges = operation.ranges
    if ranges is None:
        loop = f"while op.get_bind().execute(sa.text({_escaped(operation.statement)!r})).rowcount:"
        return [loop, *(sleep or ["pass"]), ""]
    step = f"{{'start': start, 'stop': start + {ranges.size}}}"
    return [
        "bind = op.get_bind()",
        f"low, high = bind.execute(sa.text({ranges.bounds!r})).one()",
        "if low is not None:",
        f"for start in range(low, high + 1, {ranges.size}):",
        f"bind.execute(sa.text({ranges.update!r}), {step})",
        *sleep,
        "",
        f"bind.execute(sa.text({ranges.tail!r}), {{'last': high}})",
        "",
    ]


@renderers.dispatch_for(NoRowsOp)
def _render_no_rows(autogen_context: AutogenContext, operation: NoRowsOp) -> list[str]:
    query = f"op.get_bind().execute(sa.text({_escaped(operation.query)!r})).first()"
    return [f"if {query} is not None:", f"raise RuntimeError({operation.message!r})", ""]


def flattened(operation: Any) -> list[Any]:
    """An operation with autocommit blocks opened up."""
    if isinstance(operation, AutocommitBlockOp):
        return [step for sub in operation.ops for step in flattened(sub)]
    return [operation]
