"""Computed and identity columns compared, where Alembic only warns (computed) or sees noise (identity)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..dialects import Backend, backend_of
from .expressions import canonical, sql_text, unwrapped
from .generated_ops import AlterComputedOp, AlterIdentityOp, ComputedSpec, IdentitySpec
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.generated"


def _generated(default: Any) -> bool:
    return isinstance(default, sa.Computed | sa.Identity)


def hand_over(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: sa.Column[Any],
    metadata_col: sa.Column[Any],
) -> Any:
    """STOP Alembic's server-default comparison of computed and identity columns: compare_generated judges them.

    Alembic 1.20 warns "Computed default ... cannot be modified" and reports nothing, and on backends that do
    not reflect identity it reports every Identity() as a new server default; the table comparator below
    reports what really differs instead.
    """
    from alembic.util import PriorityDispatchResult

    if _generated(conn_col.server_default) or _generated(metadata_col.server_default):
        alter_column_op.existing_server_default = conn_col.server_default
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def computed_spec(column: sa.Column[Any], dialect: Any, backend: Backend) -> ComputedSpec:
    """The column's generation as compared: canonical expression and STORED or VIRTUAL (the backend's default)."""
    computed = column.computed
    if computed is None:
        return ComputedSpec(None)
    text = sql_text(computed.sqltext, dialect)
    persisted = computed.persisted if computed.persisted is not None else backend.computed_stored_by_default(dialect)
    shown = f"GENERATED ALWAYS AS ({unwrapped(text)}) {'STORED' if persisted else 'VIRTUAL'}"
    return ComputedSpec(canonical(text), bool(persisted), shown)


def _computed_op(
    autogen_context: Any, schema: str | None, tname: str, conn_col: sa.Column[Any], metadata_col: sa.Column[Any]
) -> AlterComputedOp | None:
    dialect = autogen_context.dialect
    backend = backend_of(dialect)
    before, after = computed_spec(conn_col, dialect, backend), computed_spec(metadata_col, dialect, backend)
    if before == after:
        return None
    return AlterComputedOp(tname, conn_col, metadata_col, before, after, schema=schema)


def _identity_text(identity: sa.Identity | None) -> IdentitySpec:
    if identity is None:
        return IdentitySpec(False)
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    options = [f"{name}={getattr(identity, name)}" for name in ("start", "increment") if getattr(identity, name)]
    return IdentitySpec(True, f"GENERATED {kind} AS IDENTITY" + (f" ({', '.join(options)})" if options else ""))


def _identity_options_op(
    autogen_context: Any, schema: str | None, tname: str, conn_col: sa.Column[Any], metadata_col: sa.Column[Any]
) -> AlterIdentityOp | None:
    """PostgreSQL reflects IDENTITY and its options: Alembic's own rules say whether two differ."""
    wanted, found = metadata_col.identity, conn_col.identity
    if wanted is None and found is None:
        return None
    impl = autogen_context.migration_context.impl
    _diff, _ignored, is_alter = impl._compare_identity_default(wanted, found)
    if not is_alter:
        return None
    return AlterIdentityOp(
        tname, conn_col.name, _identity_text(found), _identity_text(wanted), schema=schema,
        existing_type=conn_col.type, existing_nullable=conn_col.nullable,
        existing_server_default=conn_col.server_default, modify_server_default=wanted,
    )  # fmt: skip


def _auto_increment_op(
    autogen_context: Any, schema: str | None, tname: str, conn_col: sa.Column[Any], metadata_col: sa.Column[Any]
) -> AlterIdentityOp | None:
    """MySQL/MariaDB have AUTO_INCREMENT only: the models want it for an Identity() or their autoincrement column."""
    wants = metadata_col.identity is not None or metadata_col is metadata_col.table._autoincrement_column
    has = conn_col.autoincrement is True
    if wants == has:
        return None
    on, off = IdentitySpec(True, "AUTO_INCREMENT"), IdentitySpec(False, "no AUTO_INCREMENT")
    return AlterIdentityOp(
        tname, conn_col.name, on if has else off, on if wants else off, schema=schema,
        existing_type=conn_col.type, existing_nullable=conn_col.nullable,
        existing_server_default=conn_col.server_default, autoincrement=wants,
    )  # fmt: skip


_IDENTITY_OPS = {"options": _identity_options_op, "auto_increment": _auto_increment_op}


def compare_generated(
    autogen_context: Any,
    modify_table_ops: Any,
    schema: str | None,
    tname: str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> Any:
    """A table comparator: an op for each column whose computed expression or identity differs."""
    from alembic.util import PriorityDispatchResult

    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    identity_op = _IDENTITY_OPS.get(backend_of(autogen_context.dialect).identity_reflection)
    for metadata_col in metadata_table.columns:
        conn_col = conn_table.columns.get(metadata_col.name)
        if conn_col is None or not autogen_context.run_object_filters(
            metadata_col, metadata_col.name, "column", False, conn_col
        ):
            continue
        found: list[Any] = [_computed_op(autogen_context, schema, tname, conn_col, metadata_col)]
        if identity_op is not None:
            found.append(identity_op(autogen_context, schema, tname, conn_col, metadata_col))
        modify_table_ops.ops.extend(op for op in found if op is not None)
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    import alembic.autogenerate  # noqa: F401  (Alembic's own comparators register first)
    from alembic.util import DispatchPriority

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(hand_over, "column", "server_default", priority=DispatchPriority.FIRST)
    plugin.add_autogenerate_comparator(compare_generated, "table", "schema_tools_generated")


_register_plugin()
