"""Guarded upgrade() and downgrade(): backup first, refuse unannounced data loss, and say how a failure left things."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import ops
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from .backup import Backup, backup, restore
from .connect import default_url, mask_text, parse_url, sqlite_path, sync_url
from .display import escape, html_table, text_table
from .errors import DataLossRefused, MigrationFailed, MultipleHeads
from .lint import describe_op, flatten_ops
from .script_ops import revision_ops
from .scripts import load_scripts
from .settings import VERSION_TABLE, alembic_config
from .sources import describe

DESTRUCTIVE = (ops.DropTableOp, ops.DropColumnOp)


@dataclass(frozen=True)
class Step:
    """One revision applied (or reverted)."""

    revision: str
    message: str


@dataclass(frozen=True)
class MigrationReport:
    """What a guarded upgrade or downgrade did; on failure, what ran, how the database was left, the backup."""

    direction: str
    database: str
    backend: str
    start: tuple[str, ...]
    steps: tuple[Step, ...]
    backup: Backup | None
    ok: bool = True
    failed_revision: str | None = None
    error: str | None = None
    statements: tuple[str, ...] = field(default=(), repr=False)
    left_as: str = ""

    def lines(self) -> list[str]:
        verb = "applied" if self.direction == "upgrade" else "reverted"
        out = [f"{self.direction} of {self.database}: {len(self.steps)} revision(s) {verb}"]
        if self.backup:
            out.append(f"backup: {self.backup.path.name} ({self.backup.bytes} bytes)")
        if not self.ok:
            out.append(f"FAILED in revision {self.failed_revision}: {self.error}")
            out.append(f"database left: {self.left_as}")
        return out

    def __str__(self) -> str:
        text = "\n".join(self.lines())
        if self.steps:
            text += "\n" + text_table(("revision", "message"), [(s.revision, s.message) for s in self.steps])
        if not self.ok and self.statements:
            text += "\nstatements that ran in the failed revision:\n" + "\n".join(f"  {s}" for s in self.statements)
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        caption = "<br>".join(escape(line) for line in self.lines())
        return html_table(("revision", "message"), [(s.revision, s.message) for s in self.steps], caption=caption)


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


def _plan(script: ScriptDirectory, current: tuple[str, ...], target: str, direction: str) -> list[Step]:
    if direction == "upgrade":
        revisions = list(script.iterate_revisions(target, current or "base"))
        revisions.reverse()
    else:
        revisions = list(script.iterate_revisions(current or "base", target))  # newest first, target excluded
    return [Step(r.revision, _first_line(r.doc)) for r in revisions]


def destructive_operations(steps: list[Step], direction: str, config: Any, dialect: str) -> list[str]:
    """Drops (tables, columns) the steps would run, as 'revision: drop_column users.email'."""
    found = []
    for step in steps:
        recorded = revision_ops(step.revision, config=config, dialect=dialect, downgrade=direction == "downgrade")
        for table, operation in flatten_ops(recorded.upgrade_ops):
            if isinstance(operation, DESTRUCTIVE):
                found.append(f"{step.revision}: {describe_op(table, operation)}")
    return found


def _backup_path(url: sa.URL, current: tuple[str, ...], backup_dir: str | os.PathLike[str] | None) -> Path:
    revision = "+".join(current) or "base"
    if backup_dir is not None:
        directory = Path(backup_dir)
    elif (path := sqlite_path(url)) is not None:
        directory = path.parent / "backups"
    else:
        directory = Path.cwd() / "backups"
    directory.mkdir(parents=True, exist_ok=True)
    stem = sqlite_path(url).stem if sqlite_path(url) else (url.database or "database")
    suffix = {"sqlite": "db", "postgresql": "dump", "mysql": "sql"}.get(url.get_backend_name(), "backup")
    return directory / f"{stem}.before-{revision}.{suffix}"


def _run(
    direction: str,
    url: str | sa.URL | None,
    target: str,
    *,
    take_backup: bool,
    allow_data_loss: bool,
    config: Any,
    backup_dir: str | os.PathLike[str] | None,
) -> MigrationReport:
    parsed = sync_url(parse_url(url or default_url()))
    backend = "mysql" if parsed.get_backend_name() == "mariadb" else parsed.get_backend_name()
    cfg = config if config is not None else alembic_config()
    script = load_scripts(cfg)
    heads = script.get_heads()
    if direction == "upgrade" and target in ("head", "heads") and len(heads) > 1:
        raise MultipleHeads(
            f"{len(heads)} heads ({', '.join(sorted(heads))}): merge them first with "
            f"'alembic merge -m \"merge heads\" {' '.join(sorted(heads))}'"
        )
    engine = sa.create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = tuple(
                sorted(
                    MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads()
                )
            )
        steps = _plan(script, current, target, direction)
        drops = destructive_operations(steps, direction, cfg, backend)
        if drops and not allow_data_loss:
            raise DataLossRefused(
                f"{direction} to {target} would drop data ({'; '.join(drops[:3])}{'; ...' if len(drops) > 3 else ''}): "
                "back up and pass allow_data_loss=True (--allow-data-loss)"
            )
        made = backup(parsed, _backup_path(parsed, current, backup_dir)) if take_backup and steps else None

        applied: list[Step] = []
        statements: list[str] = []
        messages = {step.revision: step.message for step in steps}

        def on_apply(ctx: Any, step: Any, heads: Any, run_args: Any, **_: Any) -> None:
            applied.append(Step(step.up_revision_id, messages.get(step.up_revision_id, "")))
            statements.clear()

        @event.listens_for(engine, "before_cursor_execute")
        def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "SHOW", "SET ")):
                statements.append(" ".join(statement.split()))

        cfg.attributes["connection"] = engine
        cfg.attributes["on_version_apply"] = [on_apply]
        try:
            (command.upgrade if direction == "upgrade" else command.downgrade)(cfg, target)
        except Exception as error:
            failed = steps[len(applied)].revision if len(applied) < len(steps) else None
            reason = mask_text(
                str(getattr(error, "orig", error)).strip().splitlines()[0]
                if str(error).strip()
                else type(error).__name__,
                parsed,
            )
            left_as = _recover(backend, parsed, made, applied, current)
            report = MigrationReport(
                direction, describe(parsed), backend, current, tuple(applied), made, False, failed, reason,
                tuple(statements), left_as,
            )  # fmt: skip
            raise MigrationFailed(
                f"{direction} failed in revision {failed}: {reason}; {left_as}"
                + (f"; statements that had run: {len(statements)}" if backend == "mysql" else "")
            ) from _attach(error, report)
        finally:
            cfg.attributes.pop("connection", None)
            cfg.attributes.pop("on_version_apply", None)
        return MigrationReport(direction, describe(parsed), backend, current, tuple(applied), made)
    finally:
        engine.dispose()


def _attach(error: BaseException, report: MigrationReport) -> BaseException:
    error.report = report  # type: ignore[attr-defined]
    return error


def _recover(backend: str, url: sa.URL, made: Backup | None, applied: list[Step], start: tuple[str, ...]) -> str:
    """Put the database back where it can be, and say where that is."""
    done = applied[-1].revision if applied else ("+".join(start) or "base")
    if backend == "sqlite":
        if made is not None:
            restore(made, url)
            return f"restored from the backup {made.path.name}, at revision {'+'.join(start) or 'base'}"
        return f"the failed revision was rolled back; at revision {done}"
    if backend == "postgresql":
        return f"the failed revision was rolled back (transactional DDL); at revision {done}"
    backup_note = f"restore the backup {made.path} with schema-tools restore" if made else "no backup was taken"
    return f"MySQL commits DDL as it goes: the failed revision may be half-applied after revision {done}; {backup_note}"


def upgrade(
    url: str | sa.URL | None = None,
    target: str = "head",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Any = None,
    backup_dir: str | os.PathLike[str] | None = None,
) -> MigrationReport:
    """Upgrade to `target` with a backup first; a failure is rolled back or reported with what ran."""
    return _run("upgrade", url, target, take_backup=backup, allow_data_loss=allow_data_loss, config=config,
                backup_dir=backup_dir)  # fmt: skip


def downgrade(
    url: str | sa.URL | None = None,
    target: str = "-1",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Any = None,
    backup_dir: str | os.PathLike[str] | None = None,
) -> MigrationReport:
    """Downgrade to `target` (a revision, -1 or base) with a backup first; drops need allow_data_loss."""
    cfg = config if config is not None else alembic_config()
    if target.startswith("-"):
        target = _relative_target(url, target, cfg)
    return _run("downgrade", url, target, take_backup=backup, allow_data_loss=allow_data_loss, config=cfg,
                backup_dir=backup_dir)  # fmt: skip


def _relative_target(url: str | sa.URL | None, target: str, config: Any) -> str:
    parsed = sync_url(parse_url(url or default_url()))
    engine = sa.create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(config)
    steps = int(target[1:])
    revision = current[0] if current else None
    for _ in range(steps):
        if revision is None:
            break
        down = script.get_revision(revision).down_revision
        revision = down if isinstance(down, str) or down is None else down[0]
    return revision or "base"
