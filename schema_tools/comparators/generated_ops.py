"""The operations for computed and identity column changes: diff tuples, reverse(), renderers, implementations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import renderers
from alembic.autogenerate.render import render_op
from alembic.operations import BatchOperations, Operations, ops

MODIFY_COMPUTED, MODIFY_IDENTITY = "modify_computed", "modify_identity"


@dataclass(frozen=True)
class ComputedSpec:
    """How a column's values come: from an expression (canonical, for comparing) or as written (a plain column)."""

    expression: str | None
    persisted: bool = False
    text: str = field(default="plain column", compare=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class IdentitySpec:
    """Whether the database numbers the column by itself, and how (shown; compared by Alembic's rules)."""

    present: bool
    text: str = field(default="no identity", compare=False)

    def __str__(self) -> str:
        return self.text


def _existing(column: sa.Column[Any]) -> dict[str, Any]:
    return {"existing_type": column.type, "existing_nullable": column.nullable}


class AlterComputedOp(ops.AlterTableOp):
    """A column becomes computed, plain, or computed otherwise: dropped and added again (a table rewrite)."""

    def __init__(
        self,
        table_name: str,
        old_column: sa.Column[Any],
        new_column: sa.Column[Any],
        before: ComputedSpec,
        after: ComputedSpec,
        *,
        schema: str | None = None,
    ) -> None:
        super().__init__(table_name, schema=schema)
        self.column_name = new_column.name
        self.old_column, self.new_column = old_column, new_column
        self.before, self.after = before, after

    def reverse(self) -> AlterComputedOp:
        return AlterComputedOp(
            self.table_name, self.new_column, self.old_column, self.after, self.before, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        existing = _existing(self.old_column)
        return (MODIFY_COMPUTED, self.schema, self.table_name, self.column_name, existing, self.before, self.after)


class AlterIdentityOp(ops.AlterColumnOp):
    """An identity (PostgreSQL) or AUTO_INCREMENT (MySQL/MariaDB) added, dropped or changed: an alter_column."""

    def __init__(self, table_name: str, column_name: str, before: IdentitySpec, after: IdentitySpec, **kw: Any) -> None:
        super().__init__(table_name, column_name, **kw)
        self.before, self.after = before, after

    def reverse(self) -> AlterIdentityOp:
        kw = dict(self.kw)
        if "autoincrement" in kw:
            kw["autoincrement"] = not kw["autoincrement"]
        else:
            kw["modify_server_default"] = self.existing_server_default
            kw["existing_server_default"] = self.modify_server_default
        return AlterIdentityOp(
            self.table_name, self.column_name, self.after, self.before, schema=self.schema,
            existing_type=self.existing_type, existing_nullable=self.existing_nullable, **kw,
        )  # fmt: skip

    def to_diff_tuple(self) -> Any:  # a list of tuples, as AlterColumnOp's
        existing = {"existing_type": self.existing_type, "existing_nullable": self.existing_nullable}
        return [(MODIFY_IDENTITY, self.schema, self.table_name, self.column_name, existing, self.before, self.after)]


def _render_computed(autogen_context: Any, op: AlterComputedOp) -> list[str]:
    """A comment, then Alembic's own drop_column and add_column (batch_op.* inside a batch on SQLite)."""
    drop = ops.DropColumnOp.from_column_and_tablename(op.schema, op.table_name, op.old_column)
    add = ops.AddColumnOp.from_column_and_tablename(op.schema, op.table_name, op.new_column)
    note = f"# {op.table_name}.{op.column_name}: {op.before} -> {op.after} (dropped and added: a table rewrite)"
    return [note, *render_op(autogen_context, drop), *render_op(autogen_context, add)]


def _alter_computed(operations: Operations, operation: AlterComputedOp) -> None:
    """Drop the column and add it again as the models define it (a batch on SQLite recreates the table)."""
    column = operation.new_column._copy()
    if isinstance(operations, BatchOperations):
        operations.drop_column(operation.column_name)
        operations.add_column(column)
        return
    operations.drop_column(operation.table_name, operation.column_name, schema=operation.schema)
    operations.add_column(operation.table_name, column, schema=operation.schema)


def _render_identity(autogen_context: Any, op: AlterIdentityOp) -> str:
    """Alembic's alter_column, plus the existing identity when it is dropped: without it the drop is DROP DEFAULT."""
    from alembic.autogenerate.render import _alter_column, _render_server_default

    text = str(_alter_column(autogen_context, op))
    if op.modify_server_default is None and isinstance(op.existing_server_default, sa.Identity):
        existing = _render_server_default(op.existing_server_default, autogen_context)
        text = f"{text[:-1]},\n{' ' * 11}existing_server_default={existing})"
    return text


renderers.dispatch_for(AlterComputedOp)(_render_computed)
renderers.dispatch_for(AlterIdentityOp)(_render_identity)
Operations.implementation_for(AlterComputedOp)(_alter_computed)
