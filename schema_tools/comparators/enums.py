"""Enums compared as Alembic does not: named types per type (labels added, removed, reordered), enum CHECK lists.

Named types (PostgreSQL's CREATE TYPE ... AS ENUM, where Backend.named_enums reads them) are compared per
type, not per column: one type serves many columns. A non-native Enum's CHECK (create_constraint=True) is
compared by its label set and reported as the column's type change, as MySQL's native ENUM already is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from ..dialects import backend_of
from ..dialects.base_enums import NamedEnum
from .enum_ops import AlterEnumTypeOp, Columns, CreateEnumTypeOp, DropEnumTypeOp, RenameEnumTypeOp
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.enums"


@dataclass(frozen=True)
class _Wanted:
    """An enum type as the models declare it: labels, and the columns of existing tables that use it."""

    labels: tuple[str, ...]
    columns: Columns


def _enum_of(type_: Any, dialect: Any) -> sa.Enum | None:
    """The Enum a column type is (through a TypeDecorator or an ARRAY), or None."""
    if isinstance(type_, sa.TypeDecorator):
        type_ = type_.load_dialect_impl(dialect)
    if isinstance(type_, sa.ARRAY):
        type_ = type_.item_type
    return type_ if isinstance(type_, sa.Enum) else None


# The only types _enum_of can find an Enum in: one isinstance test per column skips the rest.
_MAY_HOLD_ENUM = (sa.Enum, sa.TypeDecorator, sa.ARRAY)


def enum_tables(metadata: sa.MetaData, dialect: Any) -> frozenset[str]:
    """Tables with a named native enum column: a comparison narrowed to some tables must keep all of these, or
    the enum types only the others use would look unused and be dropped (where the backend has named types)."""
    if not backend_of(dialect).has_named_enums:
        return frozenset()
    return frozenset(
        table.name
        for table in metadata.tables.values()
        if any(
            isinstance(column.type, _MAY_HOLD_ENUM)
            and (enum := _enum_of(column.type, dialect)) is not None
            and enum.native_enum
            for column in table.columns
        )
    )


def model_types(autogen_context: Any, schema: str | None) -> dict[str, _Wanted]:
    """The models' named native enum types in `schema`, from every column the include hooks let through."""
    dialect = autogen_context.dialect
    found: dict[str, _Wanted] = {}
    for table in autogen_context.sorted_tables:
        if not autogen_context.run_object_filters(table, table.name, "table", False, None):
            continue
        for column in table.columns:
            enum = _enum_of(column.type, dialect)
            if enum is None or not enum.native_enum or not enum.name or enum.schema != schema:
                continue
            wanted = found.get(enum.name, _Wanted(tuple(enum.enums), ()))
            plain = not isinstance(column.type, sa.ARRAY)
            found[enum.name] = _Wanted(wanted.labels, wanted.columns + (((table.name, column.name),) if plain else ()))
    return found


def _renames(current: dict[str, NamedEnum], wanted: dict[str, _Wanted], schema: str | None) -> list[RenameEnumTypeOp]:
    """A type the models lost and one they gained, same labels, and a column that moves from one to the other."""
    renames = []
    gained = [name for name in wanted if name not in current]
    for old in [name for name in current if name not in wanted]:
        for new in gained:
            shared = set(current[old].columns) & set(wanted[new].columns)
            if shared and current[old].labels == wanted[new].labels:
                renames.append(RenameEnumTypeOp(old, new, schema=schema, columns=current[old].columns))
                gained.remove(new)
                break
    return renames


def _name(type_: Any) -> str | None:
    return type_.name if isinstance(type_, sa.Enum) else None


def _without_renamed_retypes(upgrade_ops: ops.UpgradeOps, renames: list[RenameEnumTypeOp]) -> None:
    """Alembic sees a column of a renamed type as retyped (ENUM mood -> feeling); the rename alone moves it."""
    pairs = {(op.old, op.new) for op in renames}
    for container in upgrade_ops.ops:
        if not isinstance(container, ops.ModifyTableOps):
            continue
        for op in container.ops:
            if isinstance(op, ops.AlterColumnOp) and (_name(op.existing_type), _name(op.modify_type)) in pairs:
                op.modify_type = None
        container.ops = [op for op in container.ops if not isinstance(op, ops.AlterColumnOp) or op.has_changes()]
    upgrade_ops.ops = [op for op in upgrade_ops.ops if not isinstance(op, ops.ModifyTableOps) or op.ops]


def compare_types(autogen_context: Any, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]) -> Any:
    """A schema comparator: the models' named enum types against the database's, one op per type.

    Types and added labels go first (columns added later in the revision may use them); drops, and label swaps
    (which need the revision's data fixes and default changes done first), go last."""
    from alembic.util import PriorityDispatchResult

    backend = backend_of(autogen_context.dialect)
    first: list[ops.MigrateOperation] = []
    for schema in sorted(schemas, key=lambda s: s or ""):
        current = backend.named_enums(autogen_context.connection, schema)
        if current is None:
            return PriorityDispatchResult.CONTINUE
        wanted = model_types(autogen_context, schema)
        renames = _renames(current, wanted, schema)
        renamed = {op.old for op in renames} | {op.new for op in renames}
        _without_renamed_retypes(upgrade_ops, renames)
        first.extend(renames)
        for name, want in sorted(wanted.items()):
            have = current.get(name)
            if have is None and name not in renamed:
                first.append(CreateEnumTypeOp(name, want.labels, schema=schema, columns=want.columns))
            elif have is not None and have.labels != want.labels:
                op = AlterEnumTypeOp(name, have.labels, want.labels, schema=schema, columns=have.columns)
                (first if op.adds_only else upgrade_ops.ops).append(op)
        for name, have in sorted(current.items()):
            if name not in wanted and name not in renamed:
                upgrade_ops.ops.append(DropEnumTypeOp(name, have.labels, schema=schema, columns=have.columns))
    upgrade_ops.ops[:0] = first
    return PriorityDispatchResult.CONTINUE


_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_IN_LIST = re.compile(r"\bin\s*\(|=\s*any\s*\(", re.IGNORECASE)


def check_labels(text: str, column: str) -> tuple[str, ...] | None:
    """The labels of a CHECK that reads `column IN ('a', 'b')` (or PostgreSQL's `= ANY (ARRAY['a', ...])`)."""
    head = _IN_LIST.split(text, maxsplit=1)[0]
    names = re.findall(r"\w+", head.lower())
    if head == text or column.lower() not in names:
        return None
    labels = tuple(label.replace("''", "'") for label in _LITERAL.findall(text[len(head) :]))
    return labels or None


def _non_native(type_: Any, dialect: Any) -> sa.Enum | None:
    """An Enum the backend keeps as a string with a CHECK of its labels, or None."""
    enum = _enum_of(type_, dialect)
    native = enum is not None and enum.native_enum and dialect.supports_native_enum
    return enum if enum is not None and enum.create_constraint and not native else None


def _reflected_check(conn_col: sa.Column[Any]) -> tuple[str | None, tuple[str, ...]] | None:
    """(name, labels) of the reflected CHECK listing `conn_col`'s allowed values, or None."""
    table = conn_col.table
    for constraint in getattr(table, "constraints", ()):
        if isinstance(constraint, sa.CheckConstraint):
            labels = check_labels(str(constraint.sqltext), conn_col.name)
            if labels is not None:
                name = constraint.name if isinstance(constraint.name, str) else None
                return name, labels
    return None


def compare_enum_check(
    autogen_context: Any,
    alter_column_op: ops.AlterColumnOp,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: sa.Column[Any],
    metadata_col: sa.Column[Any],
) -> Any:
    """A column type comparator: a non-native Enum whose CHECK lists other labels is a type change (STOP)."""
    from alembic.util import PriorityDispatchResult

    wanted = _non_native(metadata_col.type, autogen_context.dialect)
    found = _reflected_check(conn_col) if wanted is not None else None
    if wanted is None or found is None or set(found[1]) == set(wanted.enums):
        return PriorityDispatchResult.CONTINUE
    name, labels = found
    length = getattr(conn_col.type, "length", None)
    alter_column_op.existing_type = sa.Enum(
        *labels, name=name, native_enum=False, create_constraint=True, length=length or max(map(len, labels))
    )
    alter_column_op.modify_type = metadata_col.type
    return PriorityDispatchResult.STOP


def _enum_check_columns(modify_table_ops: Any, dialect: Any) -> set[str]:
    return {
        op.column_name for op in modify_table_ops.ops
        if isinstance(op, ops.AlterColumnOp) and _non_native(op.modify_type, dialect) is not None
        and isinstance(op.existing_type, sa.Enum)
    }  # fmt: skip


def _check_text(op: Any) -> str | None:
    """The expression of a CHECK an add or drop constraint op is about, or None for other constraints."""
    target = op if isinstance(op, ops.CreateCheckConstraintOp) else getattr(op, "_reverse", None)
    condition = getattr(target, "condition", None)
    return None if condition is None else str(condition)


def claim_enum_checks(
    autogen_context: Any, modify_table_ops: Any, schema: str | None, tname: str, conn_table: Any, metadata_table: Any
) -> Any:
    """A table comparator run last: an enum CHECK's label change is the column's type change, so the CHECK
    comparator's drop and add of that same CHECK (comparators/checks.py) are left out, never reported twice."""
    from alembic.util import PriorityDispatchResult

    columns = _enum_check_columns(modify_table_ops, autogen_context.dialect)
    if columns:
        modify_table_ops.ops = [
            op for op in modify_table_ops.ops
            if not any(check_labels(_check_text(op) or "", column) for column in columns)
        ]  # fmt: skip
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    import alembic.autogenerate  # noqa: F401  (Alembic's own comparators register first)
    from alembic.util import DispatchPriority

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(compare_types, "schema", "enum_types", priority=DispatchPriority.LAST)
    plugin.add_autogenerate_comparator(compare_enum_check, "column", "types", priority=DispatchPriority.FIRST)
    plugin.add_autogenerate_comparator(claim_enum_checks, "table", "enum_checks", priority=DispatchPriority.LAST)


_register_plugin()
