"""Alembic operations on named enum types: create, drop, rename, and change labels, each reversible and rendered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import MigrateOperation, Operations

from ..dialects import postgresql_enums as pg

Columns = tuple[tuple[str, str], ...]
_IMPORT = "import schema_tools.comparators.enum_ops  # noqa: F401  (op.*_enum_type)"


def labels_text(labels: Sequence[str]) -> str:
    """'a', 'b', 'c': how a change shows a label list."""
    return ", ".join(map(repr, labels))


def _dotted(columns: Columns) -> tuple[str, ...]:
    return tuple(f"{table}.{column}" for table, column in columns)


def enum_diffs(
    schema: str | None, name: str, old: Sequence[str], new: Sequence[str], columns: Columns
) -> list[tuple[Any, ...]]:
    """The diff tuples of one label change: labels added, labels removed, labels reordered (any that apply).

    Every enum tuple is (kind, schema, table, name, before, after, columns, detail); a type has no table."""
    before, after, dotted = labels_text(old), labels_text(new), _dotted(columns)
    added = tuple(label for label in new if label not in old)
    removed = tuple(label for label in old if label not in new)
    kept_old, kept_new = [x for x in old if x in new], [x for x in new if x in old]
    diffs: list[tuple[Any, ...]] = []
    if added:
        diffs.append(("add_enum_label", schema, None, name, before, after, dotted, added))
    if removed:
        diffs.append(("remove_enum_label", schema, None, name, before, after, dotted, removed))
    if kept_old != kept_new:
        diffs.append(("reorder_enum_labels", schema, None, name, before, after, dotted, tuple(kept_new)))
    return diffs


def _prefix(autogen_context: AutogenContext) -> str:
    autogen_context.imports.add(_IMPORT)
    return str(autogen_context.opts.get("alembic_module_prefix", "op."))


def _schema_arg(schema: str | None) -> str:
    return "" if schema is None else f", schema={schema!r}"


@Operations.register_operation("create_enum_type")
class CreateEnumTypeOp(MigrateOperation):
    """CREATE TYPE name AS ENUM (labels); `columns` are the models' columns that will use it."""

    def __init__(self, name: str, labels: Sequence[str], *, schema: str | None = None, columns: Columns = ()) -> None:
        self.name, self.labels, self.schema, self.columns = name, tuple(labels), schema, tuple(columns)

    @classmethod
    def create_enum_type(
        cls, operations: Operations, name: str, labels: Sequence[str], *, schema: str | None = None
    ) -> None:
        operations.invoke(cls(name, labels, schema=schema))

    def reverse(self) -> DropEnumTypeOp:
        return DropEnumTypeOp(self.name, self.labels, schema=self.schema, columns=self.columns)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum_type", self.schema, None, self.name, None, labels_text(self.labels), _dotted(self.columns),
                self.labels)  # fmt: skip


@Operations.register_operation("drop_enum_type")
class DropEnumTypeOp(MigrateOperation):
    """DROP TYPE name; `labels` recreate it on downgrade, `columns` are the database's columns using it now."""

    def __init__(self, name: str, labels: Sequence[str], *, schema: str | None = None, columns: Columns = ()) -> None:
        self.name, self.labels, self.schema, self.columns = name, tuple(labels), schema, tuple(columns)

    @classmethod
    def drop_enum_type(
        cls, operations: Operations, name: str, labels: Sequence[str] = (), *, schema: str | None = None
    ) -> None:
        operations.invoke(cls(name, labels, schema=schema))

    def reverse(self) -> CreateEnumTypeOp:
        return CreateEnumTypeOp(self.name, self.labels, schema=self.schema, columns=self.columns)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_enum_type", self.schema, None, self.name, labels_text(self.labels), None,
                _dotted(self.columns), self.labels)  # fmt: skip


@Operations.register_operation("rename_enum_type")
class RenameEnumTypeOp(MigrateOperation):
    """ALTER TYPE old RENAME TO new: the columns keep their values."""

    def __init__(self, old: str, new: str, *, schema: str | None = None, columns: Columns = ()) -> None:
        self.old, self.new, self.schema, self.columns = old, new, schema, tuple(columns)

    @classmethod
    def rename_enum_type(cls, operations: Operations, old: str, new: str, *, schema: str | None = None) -> None:
        operations.invoke(cls(old, new, schema=schema))

    def reverse(self) -> RenameEnumTypeOp:
        return RenameEnumTypeOp(self.new, self.old, schema=self.schema, columns=self.columns)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_enum_type", self.schema, None, self.new, self.old, self.new, _dotted(self.columns), self.old)


@Operations.register_operation("alter_enum_type")
class AlterEnumTypeOp(MigrateOperation):
    """The labels of a type go from `old` to `new`: ADD VALUE when only adding, else a swap through a new type.

    `columns` are the (table, column) pairs of the type, moved over by the swap."""

    def __init__(
        self, name: str, old: Sequence[str], new: Sequence[str], *, schema: str | None = None, columns: Columns = ()
    ) -> None:
        self.name, self.old, self.new, self.schema, self.columns = name, tuple(old), tuple(new), schema, tuple(columns)

    @classmethod
    def alter_enum_type(
        cls,
        operations: Operations,
        name: str,
        old: Sequence[str],
        new: Sequence[str],
        *,
        columns: Sequence[tuple[str, str]] = (),
        schema: str | None = None,
    ) -> None:
        operations.invoke(cls(name, old, new, schema=schema, columns=tuple(map(tuple, columns))))  # type: ignore[arg-type]

    @property
    def adds_only(self) -> bool:
        return pg.adds_only(self.old, self.new)

    def reverse(self) -> AlterEnumTypeOp:
        return AlterEnumTypeOp(self.name, self.new, self.old, schema=self.schema, columns=self.columns)

    def to_diff_tuple(self) -> list[tuple[Any, ...]]:  # type: ignore[override]
        return enum_diffs(self.schema, self.name, self.old, self.new, self.columns)


@renderers.dispatch_for(CreateEnumTypeOp)
def _render_create(autogen_context: AutogenContext, op: CreateEnumTypeOp) -> str:
    return f"{_prefix(autogen_context)}create_enum_type({op.name!r}, {list(op.labels)!r}{_schema_arg(op.schema)})"


@renderers.dispatch_for(DropEnumTypeOp)
def _render_drop(autogen_context: AutogenContext, op: DropEnumTypeOp) -> str:
    return f"{_prefix(autogen_context)}drop_enum_type({op.name!r}, {list(op.labels)!r}{_schema_arg(op.schema)})"


@renderers.dispatch_for(RenameEnumTypeOp)
def _render_rename(autogen_context: AutogenContext, op: RenameEnumTypeOp) -> str:
    return f"{_prefix(autogen_context)}rename_enum_type({op.old!r}, {op.new!r}{_schema_arg(op.schema)})"


@renderers.dispatch_for(AlterEnumTypeOp)
def _render_alter(autogen_context: AutogenContext, op: AlterEnumTypeOp) -> str:
    """ADD VALUE goes in an autocommit block: before PostgreSQL 12 it cannot run in a transaction, and a label
    added in a transaction cannot be used until it commits."""
    call = (
        f"{_prefix(autogen_context)}alter_enum_type(\n    {op.name!r},\n    {list(op.old)!r},\n    {list(op.new)!r},\n"
        f"    columns={[list(pair) for pair in op.columns]!r},{_schema_arg(op.schema)[1:]}\n)"
    )
    if not op.adds_only:
        return call
    return "with op.get_context().autocommit_block():\n" + "\n".join(f"    {line}" for line in call.splitlines())


def _run(operations: Operations, statements: Sequence[str]) -> None:
    for statement in statements:
        operations.execute(statement)


@Operations.implementation_for(CreateEnumTypeOp)
def create_enum_type(operations: Operations, operation: CreateEnumTypeOp) -> None:
    """CREATE TYPE, noted in SQLAlchemy's per-run memo so a create_table of the same run does not create it again."""
    context = operations.get_context()
    preparer = context.dialect.identifier_preparer
    _run(operations, [pg.create_type(preparer, operation.schema, operation.name, operation.labels)])
    context.impl.memo.setdefault("pg_enum", set()).add((operation.schema, operation.name))


@Operations.implementation_for(DropEnumTypeOp)
def drop_enum_type(operations: Operations, operation: DropEnumTypeOp) -> None:
    preparer = operations.get_context().dialect.identifier_preparer
    _run(operations, [pg.drop_type(preparer, operation.schema, operation.name)])


@Operations.implementation_for(RenameEnumTypeOp)
def rename_enum_type(operations: Operations, operation: RenameEnumTypeOp) -> None:
    preparer = operations.get_context().dialect.identifier_preparer
    _run(operations, [pg.rename_type(preparer, operation.schema, operation.old, operation.new)])


@Operations.implementation_for(AlterEnumTypeOp)
def alter_enum_type(operations: Operations, operation: AlterEnumTypeOp) -> None:
    """ADD VALUE for additions; else the swap, with each column's default read from the live catalog (online)."""
    context = operations.get_context()
    preparer, schema, name = context.dialect.identifier_preparer, operation.schema, operation.name
    if operation.adds_only:
        _run(operations, pg.add_values(preparer, schema, name, operation.old, operation.new))
        return
    defaults: dict[tuple[str, str], str] = {}
    if not context.as_sql:
        connection = context.connection
        assert connection is not None
        for table, column in operation.columns:
            default = pg.column_default(connection, schema, table, column)
            if default is not None:
                defaults[(table, column)] = default
    _run(operations, pg.swap_type(preparer, schema, name, operation.new, operation.columns, defaults))
