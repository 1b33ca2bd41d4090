"""The steps Draft.make_safe adds: an autocommit block and a batched backfill, rendered as plain Alembic code."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op
from alembic.operations import MigrateOperation, Operations, ops


class AutocommitBlockOp(MigrateOperation):
    """Operations run in `with op.get_context().autocommit_block():`, so each commits on its own."""

    def __init__(self, operations: list[MigrateOperation]) -> None:
        self.ops = operations


class BackfillOp(MigrateOperation):
    """An UPDATE that fills a column's NULLs `batch_size` rows at a time until none is left.

    Each batch commits on its own (the op runs inside an autocommit block), so row locks are held only
    for one batch; `batch_sleep` seconds between batches let replicas and other writers catch up.
    """

    def __init__(self, table_name: str, column_name: str, statement: str, batch_sleep: float) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.statement = statement
        self.batch_sleep = batch_sleep


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
    while bind.execute(sa.text(_escaped(operation.statement))).rowcount:
        time.sleep(operation.batch_sleep)


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
    loop = f"while op.get_bind().execute(sa.text({_escaped(operation.statement)!r})).rowcount:"
    if not operation.batch_sleep:
        return [loop, "pass", ""]
    autogen_context.imports.add("import time")
    return [loop, f"time.sleep({operation.batch_sleep!r})", ""]


@renderers.dispatch_for(NoRowsOp)
def _render_no_rows(autogen_context: AutogenContext, operation: NoRowsOp) -> list[str]:
    query = f"op.get_bind().execute(sa.text({_escaped(operation.query)!r})).first()"
    return [f"if {query} is not None:", f"raise RuntimeError({operation.message!r})", ""]


def flattened(operation: Any) -> list[Any]:
    """An operation with autocommit blocks opened up."""
    if isinstance(operation, AutocommitBlockOp):
        return [step for sub in operation.ops for step in flattened(sub)]
    return [operation]
