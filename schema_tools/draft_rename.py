"""Rewrite a draft's drop + add (or drop + create) into the rename autogenerate cannot see."""

from __future__ import annotations

import copy
from typing import Any

from alembic.operations import ops

from .errors import ConfigurationError


def rename_column(
    upgrade_ops: ops.UpgradeOps, table: str, old: str, new: str
) -> tuple[ops.UpgradeOps, ops.DowngradeOps]:
    """New upgrade and downgrade where `table.old` is renamed to `new` (op.alter_column), not dropped and re-added."""
    upgrade = copy.deepcopy(upgrade_ops)
    modify = _modify_ops(upgrade, table)
    drop, add = _dropped_and_added(modify, old, new)
    old_type = drop._reverse.column.type if drop._reverse is not None else add.column.type
    old_nullable = drop._reverse.column.nullable if drop._reverse is not None else add.column.nullable
    rename = ops.AlterColumnOp(table, old, modify_name=new, existing_type=old_type, existing_nullable=old_nullable)
    modify.ops = [rename if o is drop else o for o in modify.ops if o is not add]
    downgrade = ops.DowngradeOps(ops=[])
    for operation in reversed(upgrade.ops):
        downgrade.ops.append(_reverse(operation, table, old, new, old_type, old_nullable))
    return upgrade, downgrade


def _dropped_and_added(modify: ops.ModifyTableOps, old: str, new: str) -> tuple[ops.DropColumnOp, ops.AddColumnOp]:
    """The drop of column `old` and the add of column `new` a column rename replaces."""
    drop = next((o for o in modify.ops if isinstance(o, ops.DropColumnOp) and o.column_name == old), None)
    add = next((o for o in modify.ops if isinstance(o, ops.AddColumnOp) and o.column.name == new), None)
    if drop is None or add is None:
        table = modify.table_name
        raise ConfigurationError(f"the draft does not drop {table}.{old} and add {table}.{new}: nothing to rename")
    return drop, add


def rename_table(upgrade_ops: ops.UpgradeOps, old: str, new: str) -> tuple[ops.UpgradeOps, ops.DowngradeOps]:
    """New upgrade and downgrade where table `old` is renamed to `new` (op.rename_table), not dropped and created.

    The drop's and create's companion ops on either table (indexes, constraints) go with them.
    """
    upgrade = copy.deepcopy(upgrade_ops)
    drop, create = _dropped_and_created(upgrade, old, new)
    upgrade.ops = [
        ops.RenameTableOp(old, new) if o is drop else o
        for o in upgrade.ops
        if o is drop or getattr(o, "table_name", None) not in (old, new)
    ]
    downgrade = ops.DowngradeOps(ops=[_reverse_table(o, old, new) for o in reversed(upgrade.ops)])
    return upgrade, downgrade


def _dropped_and_created(upgrade: ops.UpgradeOps, old: str, new: str) -> tuple[ops.DropTableOp, ops.CreateTableOp]:
    """The drop of table `old` and the create of table `new` a table rename replaces."""
    drop = next((o for o in upgrade.ops if isinstance(o, ops.DropTableOp) and o.table_name == old), None)
    create = next((o for o in upgrade.ops if isinstance(o, ops.CreateTableOp) and o.table_name == new), None)
    if drop is None or create is None:
        raise ConfigurationError(f"the draft does not drop {old} and create {new}: nothing to rename")
    return drop, create


def _reverse_table(operation: ops.MigrateOperation, old: str, new: str) -> ops.MigrateOperation:
    """The reverse of an upgrade op; the rename's by hand (RenameTableOp has no reverse)."""
    if isinstance(operation, ops.RenameTableOp):
        return ops.RenameTableOp(new, old)
    return operation.reverse()


def _modify_ops(upgrade: ops.UpgradeOps, table: str) -> ops.ModifyTableOps:
    for operation in upgrade.ops:
        if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
            return operation
    raise ConfigurationError(f"the draft does not change table {table!r}")


def _reverse(operation: Any, table: str, old: str, new: str, old_type: Any, old_nullable: Any) -> Any:
    """The reverse of an upgrade op, with the rename reversed by hand (AlterColumnOp.reverse drops it)."""
    if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
        reversed_ops: list[ops.MigrateOperation] = []
        for sub in reversed(operation.ops):
            if isinstance(sub, ops.AlterColumnOp) and sub.modify_name == new:
                reversed_ops.append(
                    ops.AlterColumnOp(
                        table, new, modify_name=old, existing_type=old_type, existing_nullable=old_nullable
                    )
                )
            else:
                reversed_ops.append(sub.reverse())
        return ops.ModifyTableOps(table, reversed_ops, schema=operation.schema)
    return operation.reverse()
