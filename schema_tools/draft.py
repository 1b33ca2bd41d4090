"""draft(): the revision autogenerate would write, its SQL per dialect and its lint, before any file exists."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy import MetaData

from .connect import read_only_connection
from .display import escape
from .errors import ConfigurationError, MultipleHeads, NotUpToDate
from .lint import BIG_TABLE_ROWS, Finding, LintContext, findings_html, findings_text, flatten_ops, lint_ops
from .scripts import load_scripts
from .settings import alembic_config, compare_options, load_metadata
from .sources import SchemaSource, describe, reflect
from .sqltext import stable_sql
from .status import status as database_status

DIALECTS = ("sqlite", "postgresql", "mysql")


@dataclass(frozen=True)
class Draft:
    """A revision as autogenerate would write it, with its live-data lint findings; nothing written yet."""

    message: str
    dialect: str
    target: str
    upgrade_ops: ops.UpgradeOps = field(repr=False, compare=False)
    downgrade_ops: ops.DowngradeOps = field(repr=False, compare=False)
    findings: tuple[Finding, ...] = ()
    # The live tables the operations touch, for SQLite batch rebuilds rendered offline (copy_from).
    tables: dict[str, sa.Table] = field(default_factory=dict, repr=False, compare=False)
    renames: tuple[str, ...] = ()
    url: Any = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.upgrade_ops.ops)

    @property
    def upgrade_code(self) -> str:
        """The body of upgrade(), exactly as the revision file will have it."""
        return _render(self.upgrade_ops, self.dialect)

    @property
    def downgrade_code(self) -> str:
        """The body of downgrade()."""
        return _render(self.downgrade_ops, self.dialect)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def lint(self) -> tuple[Finding, ...]:
        """The lint findings (computed against the live data when the draft was made)."""
        return self.findings

    def operations(self) -> list[tuple[str | None, Any]]:
        """(table, op) pairs of the upgrade, for comparing with a written revision."""
        return flatten_ops(self.upgrade_ops)

    def sql(self, dialect: str | None = None) -> str:
        """The SQL the upgrade would run on `dialect` (sqlite, postgresql, mysql), rendered offline."""
        name = dialect or self.dialect
        if name == "mariadb":
            name = "mysql"
        if name not in DIALECTS:
            raise ConfigurationError(f"unknown dialect {name!r}: use one of {', '.join(DIALECTS)}")
        buffer = io.StringIO()
        context = MigrationContext.configure(
            dialect_name=name,
            opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True, "transactional_ddl": False},
        )
        operations = Operations(context)
        for operation in self.upgrade_ops.ops:
            if isinstance(operation, ops.ModifyTableOps):
                copy_from = self.tables.get(operation.table_name) if name == "sqlite" else None
                with operations.batch_alter_table(operation.table_name, copy_from=copy_from) as batch:
                    for sub in operation.ops:
                        batch.invoke(sub)
            else:
                operations.invoke(operation)
        return stable_sql(buffer.getvalue())

    def apply_rename(self, table: str, old: str, new: str) -> Draft:
        """A new draft where `table.old` is renamed to `new` (op.alter_column) instead of dropped and re-added."""
        upgrade = copy.deepcopy(self.upgrade_ops)
        modify = _modify_ops(upgrade, table)
        drop = next((o for o in modify.ops if isinstance(o, ops.DropColumnOp) and o.column_name == old), None)
        add = next((o for o in modify.ops if isinstance(o, ops.AddColumnOp) and o.column.name == new), None)
        if drop is None or add is None:
            raise ConfigurationError(f"the draft does not drop {table}.{old} and add {table}.{new}: nothing to rename")
        old_type = drop._reverse.column.type if drop._reverse is not None else add.column.type
        old_nullable = drop._reverse.column.nullable if drop._reverse is not None else add.column.nullable
        rename = ops.AlterColumnOp(table, old, modify_name=new, existing_type=old_type, existing_nullable=old_nullable)
        modify.ops = [rename if o is drop else o for o in modify.ops if o is not add]
        downgrade = ops.DowngradeOps(ops=[])
        for operation in reversed(upgrade.ops):
            downgrade.ops.append(_reverse(operation, table, old, new, old_type, old_nullable))
        remaining = tuple(f for f in self.findings if not (f.table == table and f.column in (old, new)))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{table}.{old} -> {table}.{new}"),
        )  # fmt: skip

    def apply_table_rename(self, old: str, new: str) -> Draft:
        """A new draft where table `old` is renamed to `new` (op.rename_table) instead of dropped and created."""
        upgrade = copy.deepcopy(self.upgrade_ops)
        drop = next((o for o in upgrade.ops if isinstance(o, ops.DropTableOp) and o.table_name == old), None)
        create = next((o for o in upgrade.ops if isinstance(o, ops.CreateTableOp) and o.table_name == new), None)
        if drop is None or create is None:
            raise ConfigurationError(f"the draft does not drop {old} and create {new}: nothing to rename")
        related = {
            id(o) for o in upgrade.ops if getattr(o, "table_name", None) in (old, new) and o not in (drop, create)
        }
        upgrade.ops = [ops.RenameTableOp(old, new) if o is drop else o for o in upgrade.ops
                       if o is not create and id(o) not in related]  # fmt: skip
        downgrade = ops.DowngradeOps(ops=[o.reverse() if not isinstance(o, ops.RenameTableOp)
                                          else ops.RenameTableOp(new, old) for o in reversed(upgrade.ops)])  # fmt: skip
        remaining = tuple(f for f in self.findings if f.table not in (old, new))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{old} -> {new}"),
        )  # fmt: skip

    def write(self, config: Any = None) -> Path:
        """Write the revision file with Alembic's own command, template and post-write hooks.

        Refuses when the database is behind the head (autogenerate would draft on a stale base) or when
        the scripts have several heads. Never overwrites: Alembic picks a new revision id.
        """
        cfg = config if config is not None else alembic_config()
        script = load_scripts(cfg)
        heads = script.get_heads()
        if len(heads) > 1:
            raise MultipleHeads(
                f"the scripts have {len(heads)} heads ({', '.join(sorted(heads))}): merge them first with "
                f"'alembic merge -m \"merge heads\" {' '.join(sorted(heads))}'"
            )
        state = database_status(self.url, config=cfg)
        if not state.up_to_date:
            missing = ", ".join(p.revision for p in state.pending) or ", ".join(state.current) or "unknown"
            raise NotUpToDate(
                f"Target database is not up to date (missing: {missing}): run 'alembic upgrade head', then draft again"
            )
        upgrade, downgrade = self.upgrade_ops, self.downgrade_ops

        def use_this_draft(context: Any, revision: Any, directives: list[Any]) -> None:
            directives[0].upgrade_ops = copy.deepcopy(upgrade)
            directives[0].downgrade_ops = copy.deepcopy(downgrade)

        with read_only_connection(self.url) as connection:
            cfg.attributes["connection"] = connection
            cfg.attributes["external_transaction"] = True
            try:
                written = command.revision(
                    cfg, message=self.message, autogenerate=True, process_revision_directives=use_this_draft
                )
            finally:
                cfg.attributes.pop("connection", None)
                cfg.attributes.pop("external_transaction", None)
        scripts = written if isinstance(written, list) else [written]
        return Path(scripts[0].path)

    # -- showing -----------------------------------------------------------------------------------------

    def _headline(self) -> str:
        errors = len(self.errors)
        return (
            f"Draft revision {self.message!r} against {self.target} ({self.dialect}): "
            f"{len(self.operations())} operations, {len(self.findings)} lint findings ({errors} errors)"
            + (f"; renames: {', '.join(self.renames)}" if self.renames else "")
        )

    def __str__(self) -> str:
        return (
            f"{self._headline()}\n\ndef upgrade():\n{_indent(self.upgrade_code)}\n\ndef downgrade():\n"
            f"{_indent(self.downgrade_code)}\n\n{findings_text(self.findings)}"
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from .highlight import highlight_python

        return (
            f'<div class="st-caption">{escape(self._headline())}</div>'
            f"<b>upgrade()</b>{highlight_python(self.upgrade_code)}"
            f"<b>downgrade()</b>{highlight_python(self.downgrade_code)}"
            f"<b>lint</b>{findings_html(self.findings)}"
        )

    def sql_html(self, dialect: str | None = None) -> Any:
        """The SQL for a dialect, syntax-highlighted for Jupyter."""
        from .highlight import SQL

        return SQL(self.sql(dialect), dialect or self.dialect)


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.splitlines())


def _render(container: Any, dialect: str) -> str:
    code = render_python_code(container, render_as_batch=dialect == "sqlite")
    lines = [line for line in code.splitlines() if "### " not in line]
    text = "\n".join(line[4:] if line.startswith("    ") else line for line in lines).strip()
    return text or "pass"


def _modify_ops(upgrade: ops.UpgradeOps, table: str) -> ops.ModifyTableOps:
    for operation in upgrade.ops:
        if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
            return operation
    raise ConfigurationError(f"the draft does not change table {table!r}")


def _reverse(operation: Any, table: str, old: str, new: str, old_type: Any, old_nullable: Any) -> Any:
    """The reverse of an upgrade op, with the rename reversed by hand (AlterColumnOp.reverse drops it)."""
    if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
        reversed_ops = []
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


def draft(
    metadata: MetaData | str | None = None,
    url: SchemaSource = None,
    message: str = "draft",
    *,
    big_table_rows: int | None = None,
) -> Draft:
    """What `alembic revision --autogenerate -m message` would write for `metadata` against `url`, read-only.

    Built with produce_migrations and Alembic's renderer with the environment's options; lint rules run
    with live-data preflight counts through the same read-only connection.
    """
    models = load_metadata(metadata)
    with read_only_connection(url) as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(connection, opts={**compare_options(dialect), "target_metadata": models})
        script = produce_migrations(context, models)
        touched = {name for name, _ in flatten_ops(script.upgrade_ops) if name}
        tables = dict(reflect(connection, only=touched).tables) if dialect == "sqlite" and touched else {}
        lint_context = LintContext(dialect, connection, big_table_rows or BIG_TABLE_ROWS)
        findings = lint_ops(script.upgrade_ops, lint_context)
    return Draft(
        message=message,
        dialect=dialect,
        target=describe(url),
        upgrade_ops=script.upgrade_ops,
        downgrade_ops=script.downgrade_ops,
        findings=findings,
        tables=tables,
        url=url,
    )
