"""Guarded upgrade() and downgrade() through the app's env.py: judge, back up, migrate, say how it left things."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .catalog import State, catalog_state, state_changes
from .checksums import record_movement
from .config import alembic_config, project_of
from .connect import mask_text, sqlite_path, sync_url
from .display import escape, html_table, text_table
from .errors import BackupError, DataLossRefused, MigrationFailed, MultipleHeads, RevisionError, SchemaToolsError
from .guard import Verdict, judge
from .lock import migration_lock
from .revisions import Step, expected_heads, resolve
from .runner import Movement as _Movement
from .runner import current_heads, env_script, migrate, moved, opened, read_heads, say, statement_watch
from .scripts import load_scripts
from .sources import describe

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MigrationReport:
    """What a guarded upgrade or downgrade did, read from the version table; on failure, where it stopped."""

    direction: str
    database: str
    backend: str
    start: tuple[str, ...]
    steps: tuple[Step, ...]
    backup: Any | None
    ok: bool = True
    failed_revision: str | None = None
    error: str | None = None
    at: tuple[str, ...] = ()
    left_as: str = ""
    persisted: tuple[str, ...] = field(default=(), repr=False)
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)

    def lines(self) -> list[str]:
        verb = "applied" if self.direction == "upgrade" else "reverted"
        out = [f"{self.direction} of {self.database}: {len(self.steps)} revision(s) {verb}"]
        if self.backup is not None:
            out.append(f"backup: {_backup_label(self.backup)}")
        if not self.ok:
            out.append(f"FAILED in revision {self.failed_revision}: {self.error}")
            out.append(f"database left: {self.left_as}")
        return out

    def __str__(self) -> str:
        text = "\n".join(self.lines())
        if self.steps:
            text += "\n" + text_table(("revision", "message"), [(s.revision, s.message) for s in self.steps])
        if not self.ok and self.persisted:
            text += "\nchanges the failed revision left in the database:\n" + "\n".join(
                f"  {line}" for line in self.persisted
            )
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        caption = "<br>".join(escape(line) for line in self.lines())
        return html_table(("revision", "message"), [(s.revision, s.message) for s in self.steps], caption=caption)


def _backup_label(made: Any) -> str:
    path = Path(getattr(made, "path", made))
    size = getattr(made, "bytes", None)
    where = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    return f"{where} ({size} bytes)" if size is not None else where


def _backup_dir(url: URL, config: Config, backup_dir: str | os.PathLike[str] | None) -> Path:
    project = project_of(config)
    if backup_dir is not None:
        directory = Path(backup_dir)
    elif project.backup_dir is not None:
        directory = project.backup_dir
    elif (path := sqlite_path(url)) is not None:
        directory = path.parent / "backups"
    else:
        directory = project.root / "backups"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(
            f"cannot create the backup folder {directory}: {error.strerror}: pass --backup-dir to a writable folder "
            "(or --no-backup)"
        ) from None
    if not os.access(directory, os.W_OK):
        raise BackupError(f"the backup folder {directory} is not writable: pass --backup-dir to a writable folder")
    return directory


def _take_backup(url: URL, directory: Path) -> Any:
    """A verified backup under a new unique name (revision, time, counter): a retry never overwrites one."""
    from .backup import backup

    return backup(url, directory=directory)


def _state(url: URL) -> State:
    with opened(url, create=False) as connection:
        state = catalog_state(connection)
        if connection.in_transaction():
            connection.rollback()
        return state


def _refuse_unknown(scripts: ScriptDirectory, current: tuple[str, ...]) -> None:
    from .status import _lookup, _refuse_conflicting_rows

    unknown = [revision for revision in current if _lookup(scripts, revision) is None]
    if unknown:
        raise RevisionError(
            f"Can't locate revision {', '.join(unknown)}: the database is stamped with a revision this checkout's "
            "scripts don't have; check out the branch that has it"
        )
    if len(current) > 1:
        _refuse_conflicting_rows(scripts, current)


def _run(
    direction: str,
    url: str | URL | None,
    target: str,
    *,
    take_backup: bool,
    allow_data_loss: bool,
    config: Config | str | None,
    backup_dir: str | os.PathLike[str] | None,
    progress: Progress | None,
) -> MigrationReport:
    cfg = config if isinstance(config, Config) else alembic_config(config, quiet=True)
    project = project_of(cfg)
    parsed = sync_url(project.database_url(url))
    label = describe(parsed)
    backend = "mysql" if parsed.get_backend_name() == "mariadb" else parsed.get_backend_name()
    scripts = load_scripts(cfg)
    heads = sorted(scripts.get_heads())
    if direction == "upgrade" and target.strip() in ("head", "heads") and len(heads) > 1:
        raise MultipleHeads(
            f"{len(heads)} heads ({', '.join(heads)}): merge them first with "
            f"'alembic merge -m \"merge heads\" {' '.join(heads)}'"
        )
    with (
        statement_watch(progress or say),
        opened(parsed) as connection,
        migration_lock(connection, project.lock_timeout, progress=progress),
    ):
        current = current_heads(connection)
        if connection.in_transaction():
            connection.rollback()
        _refuse_unknown(scripts, current)
        targets = resolve(scripts, current, target, direction)
        final = expected_heads(scripts, current, targets, direction)
        steps = moved(scripts, current, final, direction)
        if not steps:
            return MigrationReport(direction, label, backend, current, (), None)
        empty = not current and not catalog_state(connection)  # read only for a database without a revision
        if connection.in_transaction():
            connection.rollback()
        # The backup folder is checked before judging: a wrong --backup-dir fails at once, not after the guard ran.
        directory = _backup_dir(parsed, cfg, backup_dir) if take_backup and not empty else None
        verdicts: tuple[Verdict, ...] = ()
        if not allow_data_loss:
            if progress:
                progress(f"judging {len(steps)} revision(s) for data loss")
            verdicts = judge(cfg, parsed, current, steps, direction, final)
            refused = [verdict for verdict in verdicts if verdict.refused]
            if refused:
                shown = "; ".join(verdict.summary() for verdict in refused[:3])
                more = f"; and {len(refused) - 3} more" if len(refused) > 3 else ""
                raise DataLossRefused(
                    f"{direction} to {target} would destroy data or cannot be judged ({shown}{more}): "
                    "back up and pass allow_data_loss=True (--allow-data-loss)"
                )
        made = _take_backup(parsed, directory) if directory is not None else None
        start_state = catalog_state(connection)  # the schema before the run, for the failure report
        if connection.in_transaction():
            connection.rollback()
        snapshots: dict[tuple[str, ...], State] = {current: start_state}
        messages = {step.revision: step.message for step in steps}

        def on_version(migrating: Connection) -> None:
            heads = current_heads(migrating)
            snapshots[heads] = catalog_state(migrating)
            if progress is not None:
                verb = "applied" if direction == "upgrade" else "now at"
                shown = ", ".join(f"{head} {messages.get(head, '')}".strip() for head in heads) or "base"
                progress(f"{verb} {shown}")

        cfg.attributes["migration_lock_held"] = True
        try:
            movement = migrate(cfg, parsed, direction, target, on_version=on_version)
        except Exception as error:
            failure = _failure(direction, parsed, label, backend, current, steps, made, snapshots, error, scripts)
            raise failure from (error if not isinstance(error, SchemaToolsError) else None)
        finally:
            cfg.attributes.pop("migration_lock_held", None)
        record_movement(parsed, scripts, movement)
    return MigrationReport(direction, label, backend, current, movement.steps, made, verdicts=verdicts)


def _failure(
    direction: str,
    url: URL,
    label: str,
    backend: str,
    start: tuple[str, ...],
    steps: list[Step],
    made: Any,
    snapshots: dict[tuple[str, ...], State],
    error: BaseException,
    scripts: ScriptDirectory,
) -> MigrationFailed:
    """The error after a failed run: where the database really is, and what the failed revision left behind."""
    reason = mask_text(_first_line(error), url)
    persisted: tuple[str, ...] = ()
    at: tuple[str, ...] = ()
    try:
        at = read_heads(url)
        done = moved(scripts, start, at, direction)
        where = f"at revision {', '.join(at) or 'base'}"
        known = snapshots.get(at)
        if known is None:
            left = f"{where}; what the failed revision left could not be told (no snapshot at that revision)"
        else:
            persisted = state_changes(known, _state(url))
            if persisted:
                shown = "; ".join(persisted[:4]) + ("; ..." if len(persisted) > 4 else "")
                left = f"{where}; the failed revision left changes behind ({shown})"
            else:
                left = f"{where}; the failed revision left no change to the schema"
        if done:
            record_movement(url, scripts, _Movement(direction, start, at, tuple(done)))
    except Exception as reading:  # the database may be gone or locked: say so rather than guess
        done = []
        left = f"its revision could not be read ({mask_text(_first_line(reading), url)})"
    failed = steps[len(done)].revision if len(done) < len(steps) else (steps[-1].revision if steps else None)
    if made is not None:
        left += f"; backup taken before the run: {getattr(made, 'path', made)} (schema-tools restore PATH --url URL)"
    report = MigrationReport(
        direction, label, backend, start, tuple(done), made, False, failed, reason, at, left, persisted
    )
    return MigrationFailed(f"{direction} failed in revision {failed}: {reason}; database {left}", report=report)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(error).__name__


def upgrade(
    url: str | URL | None = None,
    target: str = "head",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Config | str | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> MigrationReport:
    """Upgrade to `target` through the app's env.py: judge each revision, back up, migrate one revision at a time."""
    return _run("upgrade", url, target, take_backup=backup, allow_data_loss=allow_data_loss, config=config,
                backup_dir=backup_dir, progress=progress)  # fmt: skip


def downgrade(
    url: str | URL | None = None,
    target: str = "-1",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Config | str | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> MigrationReport:
    """Downgrade to `target` (a revision, -N or base) the same way; drops need allow_data_loss."""
    return _run("downgrade", url, target, take_backup=backup, allow_data_loss=allow_data_loss, config=config,
                backup_dir=backup_dir, progress=progress)  # fmt: skip


__all__ = ["MigrationReport", "downgrade", "env_script", "upgrade"]
