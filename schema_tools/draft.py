"""draft(): the revision autogenerate would write, its SQL per dialect and its lint, before any file exists."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import produce_migrations
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import ops
from alembic.script import Script
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .cold_diff import narrowed, tables_to_compare
from .config import alembic_config, load_metadata
from .connect import read_only_connection
from .dialects import backend_of
from .display import escape
from .draft_rename import rename_column, rename_table
from .draft_safe import SafeOptions, SafePlan, safe_plan
from .draft_sql import DIALECTS, render_code, render_sql
from .errors import ConfigurationError, MultipleHeads, NotUpToDate
from .lint import BIG_TABLE_ROWS, Finding, LintContext, findings_html, findings_text, flatten_ops, lint_ops
from .rules.verdict import SAFE
from .runner import run_alembic
from .safe_ops import flattened
from .safe_types import kept_type_changes
from .scripts import load_scripts
from .secrets import SafeURL
from .settings import compare_options
from .sources import describe, is_snapshot, reflect, resolve_database
from .status import status as database_status

__all__ = ["DIALECTS", "Draft", "draft"]


@dataclass(frozen=True)
class Draft:
    """A revision as autogenerate would write it, with its live-data lint findings; nothing written yet."""

    message: str
    dialect: str
    target: str
    upgrade_ops: ops.UpgradeOps = field(repr=False, compare=False)
    downgrade_ops: ops.DowngradeOps = field(repr=False, compare=False)
    findings: tuple[Finding, ...] = ()
    # The live tables the operations touch, reflected on every backend: batch rebuilds rendered offline
    # copy them (copy_from), made portable when the draft comes from another backend.
    tables: dict[str, sa.Table] = field(default_factory=dict, repr=False, compare=False)
    renames: tuple[str, ...] = ()
    url: SafeURL | Engine | Connection | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.upgrade_ops.ops)

    @property
    def upgrade_code(self) -> str:
        """The body of upgrade(), exactly as the revision file will have it."""
        return render_code(self.upgrade_ops, self.dialect)

    @property
    def downgrade_code(self) -> str:
        """The body of downgrade()."""
        return render_code(self.downgrade_ops, self.dialect)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def lint(self) -> tuple[Finding, ...]:
        """The lint findings (computed against the live data when the draft was made)."""
        return self.findings

    def operations(self) -> list[tuple[str | None, Any]]:
        """(table, op) pairs of the upgrade, for comparing with a written revision (make_safe's blocks opened)."""
        pairs = flatten_ops(self.upgrade_ops)
        return [(table or getattr(step, "table_name", None), step) for table, op in pairs for step in flattened(op)]

    def sql(self, dialect: str | None = None) -> str:
        """The SQL the upgrade would run on `dialect` (one of DIALECTS), rendered offline.

        Runs the operations as the revision file declares them. Batch rebuilds copy the live table
        reflected when the draft was made (its types made generic when the draft came from another backend),
        or the table this draft creates.
        """
        return render_sql(self.upgrade_ops, self.tables, self.dialect, dialect or self.dialect)

    def apply_rename(self, table: str, old: str, new: str) -> Draft:
        """A new draft where `table.old` is renamed to `new` (op.alter_column) instead of dropped and re-added."""
        upgrade, downgrade = rename_column(self.upgrade_ops, table, old, new)
        remaining = tuple(f for f in self.findings if not (f.table == table and f.column in (old, new)))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{table}.{old} -> {table}.{new}"),
        )  # fmt: skip

    def apply_table_rename(self, old: str, new: str) -> Draft:
        """A new draft where table `old` is renamed to `new` (op.rename_table) instead of dropped and created."""
        upgrade, downgrade = rename_table(self.upgrade_ops, old, new)
        remaining = tuple(f for f in self.findings if f.table not in (old, new))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{old} -> {new}"),
        )  # fmt: skip

    def make_safe(
        self, *, batch_size: int = 10_000, batch_sleep: float = 0.0, lock_timeout: float = 5.0,
        backfill: Mapping[str, Any] | None = None, big_table_rows: int | None = None,
    ) -> Draft:  # fmt: skip
        """A new draft whose upgrade runs in steps that do not block the tables it changes (see draft_safe).

        A required column is added nullable, backfilled in batches of `batch_size` (the value from
        `backfill={"table.column": value}` or the model's default), then set NOT NULL. The findings are
        the rules' verdicts on the rewritten operations, against the live data when the draft has a database.
        """
        options = SafeOptions(batch_size, batch_sleep, lock_timeout, dict(backfill or {}))
        plan = safe_plan(self.upgrade_ops, self.downgrade_ops, self.tables, self.dialect, options)
        findings = self._lint(plan.judged, big_table_rows or BIG_TABLE_ROWS)
        kept = tuple(f for f in findings if not _answered(f, plan))
        kept = (*kept, *kept_type_changes(self.upgrade_ops, self.tables, self.dialect))
        return replace(self, upgrade_ops=plan.upgrade, downgrade_ops=plan.downgrade, findings=kept, tables=plan.tables)

    def _lint(self, operations: ops.UpgradeOps, big_table_rows: int) -> tuple[Finding, ...]:
        database = self.url.reveal() if isinstance(self.url, SafeURL) else self.url
        if database is None:
            return lint_ops(operations, LintContext(self.dialect, None, big_table_rows))
        with read_only_connection(database) as connection:
            return lint_ops(operations, LintContext(self.dialect, connection, big_table_rows))

    def write(self, config: Config | None = None) -> Path:
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
        database = self.url.reveal() if isinstance(self.url, SafeURL) else self.url
        state = database_status(database, config=cfg)
        if not state.up_to_date:
            missing = ", ".join(p.revision for p in state.pending) or ", ".join(state.current) or "unknown"
            raise NotUpToDate(
                f"Target database is not up to date (missing: {missing}): run 'alembic upgrade head', then draft again"
            )
        upgrade, downgrade = self.upgrade_ops, self.downgrade_ops

        def use_this_draft(context: MigrationContext, revision: Any, directives: list[ops.MigrationScript]) -> None:
            directives[0].upgrade_ops = copy.deepcopy(upgrade)
            directives[0].downgrade_ops = copy.deepcopy(downgrade)

        def revision(config: Config) -> Script | list[Script | None] | None:
            return command.revision(
                config, message=self.message, autogenerate=True, process_revision_directives=use_this_draft
            )

        written = run_alembic(cfg, _url_of(database), revision)  # the app's env.py, on this database and no other
        first = written[0] if isinstance(written, list) else written
        if first is None:
            raise ConfigurationError("alembic wrote no revision file")
        return Path(first.path)

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


def _answered(finding: Finding, plan: SafePlan) -> bool:
    """A finding the rewritten steps answer: make_safe's own statements, NULLs its backfill fills first."""
    if finding.rule == "raw-sql":
        return finding.operation in plan.own_statements
    if finding.operation in plan.online and finding.risk == SAFE:
        return True  # a lock verdict on an operation the file runs with ALGORITHM=INPLACE, LOCK=NONE
    return finding.rule == "not-null-over-nulls" and (finding.table, finding.column) in plan.backfilled


def _url_of(database: str | URL | Engine | Connection | None) -> str | URL:
    """The URL a revision is written against: the env.py runs on it, whatever the draft was made through."""
    if isinstance(database, Connection):
        return database.engine.url
    if isinstance(database, Engine):
        return database.url
    if database is None:
        raise ConfigurationError("the draft names no database to write against: make it with draft()")
    return database


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.splitlines())


def draft(
    metadata: MetaData | str | None = None,
    url: str | URL | Engine | Connection | None = None,
    message: str = "draft",
    *,
    big_table_rows: int | None = None,
    config: Config | None = None,
) -> Draft:
    """What `alembic revision --autogenerate -m message` would write for `metadata` against `url`, read-only.

    Built with produce_migrations and Alembic's renderer with the environment's options; lint rules run
    with live-data preflight counts through the same read-only connection.
    """
    models = load_metadata(metadata, config=config)
    database = resolve_database(url, config)
    with read_only_connection(database) as connection:
        dialect = connection.dialect.name
        options, compared = compare_options(dialect), models
        only = tables_to_compare(connection, models, options)
        if only is not None:  # the tables the catalog shows to be unchanged are left out (cold_diff)
            options, compared = narrowed(options, models, only, connection.dialect)
        context = MigrationContext.configure(connection, opts={**options, "target_metadata": compared})
        script = produce_migrations(context, compared)
        assert script.upgrade_ops is not None and script.downgrade_ops is not None  # produce_migrations fills both
        touched = {name for name, _ in flatten_ops(script.upgrade_ops) if name}
        # Reflected on every backend: Draft.sql renders batch rebuilds from them, whatever the source.
        tables = dict(reflect(connection, only=touched).tables) if touched else {}
        backend_of(connection).restore_reflected(connection, tables, models)
        # A snapshot's scratch copy holds no rows: counting them would call every change safe.
        live = None if is_snapshot(url) else connection
        lint_context = LintContext(dialect, live, big_table_rows or BIG_TABLE_ROWS)
        findings = lint_ops(script.upgrade_ops, lint_context)
    return Draft(
        message=message,
        dialect=dialect,
        target=describe(database),
        upgrade_ops=script.upgrade_ops,
        downgrade_ops=script.downgrade_ops,
        findings=findings,
        tables=tables,
        url=database if isinstance(database, Engine | Connection) else SafeURL(database),
    )
