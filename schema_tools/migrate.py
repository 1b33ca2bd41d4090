"""Guarded upgrade() and downgrade() through the app's env.py: judge, back up, migrate, say how it left things."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .backup import Backup, backup
from .backup_folder import backup_folder
from .catalog import State, catalog_state, state_changes
from .checksums import record_movement
from .config import alembic_config, project_of
from .connect import mask_text, sync_url
from .ddl_retry import LockRetries
from .ddl_timeouts import ddl_timeouts
from .dialects import backend_of
from .errors import DataLossRefused, MigrationFailed, MultipleHeads, RevisionError, SchemaToolsError
from .guard import Verdict, judge
from .handoff import env_script
from .labels import describe
from .lock import migration_lock
from .migration_report import MigrationReport
from .revisions import Step, expected_heads, resolve
from .runner import Movement, current_heads, migrate, moved, opened, read_heads, say
from .scripts import load_scripts
from .status import _lookup, _refuse_conflicting_rows
from .watchdog import statement_watch

__all__ = ["MigrationReport", "downgrade", "env_script", "upgrade"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Run:
    """What one guarded run works on, fixed before it starts."""

    direction: str
    target: str
    config: Config
    url: URL
    label: str
    backend: str
    scripts: ScriptDirectory
    progress: Progress | None
    retries: LockRetries


def _state(url: URL) -> State:
    with opened(url, create=False) as connection:
        state = catalog_state(connection)
        if connection.in_transaction():
            connection.rollback()
        return state


def _refuse_multiple_heads(scripts: ScriptDirectory, direction: str, target: str) -> None:
    heads = sorted(scripts.get_heads())
    if direction == "upgrade" and target.strip() in ("head", "heads") and len(heads) > 1:
        raise MultipleHeads(
            f"{len(heads)} heads ({', '.join(heads)}): merge them first with "
            f"'alembic merge -m \"merge heads\" {' '.join(heads)}'"
        )


def _refuse_unknown(scripts: ScriptDirectory, current: tuple[str, ...]) -> None:
    unknown = [revision for revision in current if _lookup(scripts, revision) is None]
    if unknown:
        raise RevisionError(
            f"Can't locate revision {', '.join(unknown)}: the database is stamped with a revision this checkout's "
            "scripts don't have; check out the branch that has it"
        )
    if len(current) > 1:
        _refuse_conflicting_rows(scripts, current)


def _judged(run: _Run, current: tuple[str, ...], steps: list[Step], final: tuple[str, ...]) -> tuple[Verdict, ...]:
    """The guard's verdict on each step; a step that would destroy data or cannot be judged refuses the run."""
    if run.progress:
        run.progress(f"judging {len(steps)} revision(s) for data loss")
    verdicts = judge(run.config, run.url, current, steps, run.direction, final)
    refused = [verdict for verdict in verdicts if verdict.refused]
    if refused:
        shown = "; ".join(verdict.summary() for verdict in refused[:3])
        more = f"; and {len(refused) - 3} more" if len(refused) > 3 else ""
        raise DataLossRefused(
            f"{run.direction} to {run.target} would destroy data or cannot be judged ({shown}{more}): "
            "back up and pass allow_data_loss=True (--allow-data-loss)"
        )
    return verdicts


def _snapshotter(run: _Run, steps: list[Step], snapshots: dict[tuple[str, ...], State]) -> Callable[[Connection], None]:
    """What runs after each version-table write: the schema as that revision left it, and a progress line."""
    messages = {step.revision: step.message for step in steps}

    def on_version(migrating: Connection) -> None:
        heads = current_heads(migrating)
        snapshots[heads] = catalog_state(migrating)
        if run.progress is not None:
            verb = "applied" if run.direction == "upgrade" else "now at"
            shown = ", ".join(f"{head} {messages.get(head, '')}".strip() for head in heads) or "base"
            run.progress(f"{verb} {shown}")

    return on_version


def _migrate(run: _Run, start: tuple[str, ...], steps: list[Step], made: Backup | None, before: State) -> Movement:
    """Run the migration holding the caller's lock; a failure is a MigrationFailed carrying its report."""
    snapshots: dict[tuple[str, ...], State] = {start: before}
    run.config.attributes["migration_lock_held"] = True
    try:
        on_version = _snapshotter(run, steps, snapshots)
        resolved = resolve(run.scripts, start, run.target, run.direction)  # a retry must not move a relative target
        absolute = (resolved[0] if resolved else "base") if len(resolved) < 2 or run.direction != "upgrade" else None
        timeouts = run.retries.timeouts
        done = run.retries.run(
            lambda writes: migrate(
                run.config, run.url, run.direction, run.target if run.retries.attempts == 1 or absolute is None
                else absolute, on_version=on_version, timeouts=timeouts, writes=writes,
            )
        )  # fmt: skip
        assert isinstance(done, Movement)
        return Movement(run.direction, start, done.after, tuple(moved(run.scripts, start, done.after, run.direction)))
    except Exception as error:
        failure = _failure(run, start, steps, made, snapshots, error)
        raise failure from (error if not isinstance(error, SchemaToolsError) else None)
    finally:
        run.config.attributes.pop("migration_lock_held", None)


def _locked(
    run: _Run,
    connection: Connection,
    take_backup: bool,
    allow_data_loss: bool,
    backup_dir: str | os.PathLike[str] | None,
) -> MigrationReport:
    """The guarded run, with the migration lock held on `connection`."""
    current = current_heads(connection)
    if connection.in_transaction():
        connection.rollback()
    _refuse_unknown(run.scripts, current)
    final = expected_heads(
        run.scripts, current, resolve(run.scripts, current, run.target, run.direction), run.direction
    )
    steps = moved(run.scripts, current, final, run.direction)
    if not steps:
        return MigrationReport(run.direction, run.label, run.backend, current, (), None)
    empty = not current and not catalog_state(connection)  # read only for a database without a revision
    if connection.in_transaction():
        connection.rollback()
    # The backup folder is checked before judging: a wrong --backup-dir fails at once, not after the guard ran.
    directory = backup_folder(run.url, run.config, backup_dir) if take_backup and not empty else None
    verdicts = () if allow_data_loss else _judged(run, current, steps, final)
    made = (
        backup(run.url, directory=directory) if directory is not None else None
    )  # a new unique name: never overwrites
    start_state = catalog_state(connection)  # the schema before the run, for the failure report
    if connection.in_transaction():
        connection.rollback()
    movement = _migrate(run, current, steps, made, start_state)
    record_movement(run.url, run.scripts, movement)
    return MigrationReport(run.direction, run.label, run.backend, current, movement.steps, made, verdicts=verdicts)


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
    timeouts: tuple[float | None, float | None, int | None, float | None] = (None, None, None, None),
) -> MigrationReport:
    cfg = config if isinstance(config, Config) else alembic_config(config, quiet=True)
    project = project_of(cfg)
    parsed = sync_url(project.database_url(url))
    scripts = load_scripts(cfg)
    _refuse_multiple_heads(scripts, direction, target)
    retries = LockRetries(ddl_timeouts(project, *timeouts), backend_of(parsed), parsed, progress or say)
    run = _Run(direction, target, cfg, parsed, describe(parsed), backend_of(parsed).family, scripts, progress, retries)
    with (
        statement_watch(progress or say),
        opened(parsed) as connection,
        migration_lock(connection, project.lock_timeout, progress=progress),
    ):
        return _locked(run, connection, take_backup, allow_data_loss, backup_dir)


def _left_as(
    run: _Run, start: tuple[str, ...], at: tuple[str, ...], snapshots: dict[tuple[str, ...], State]
) -> tuple[str, tuple[str, ...]]:
    """How the failed run left the database (one phrase), and the schema changes the failed revision left."""
    where = f"at revision {', '.join(at) or 'base'}"
    known = snapshots.get(at)
    if known is None:
        return f"{where}; what the failed revision left could not be told (no snapshot at that revision)", ()
    persisted = state_changes(known, _state(run.url))
    if persisted:
        shown = "; ".join(persisted[:4]) + ("; ..." if len(persisted) > 4 else "")
        return f"{where}; the failed revision left changes behind ({shown})", persisted
    return f"{where}; the failed revision left no change to the schema", ()


def _failure(
    run: _Run,
    start: tuple[str, ...],
    steps: list[Step],
    made: Backup | None,
    snapshots: dict[tuple[str, ...], State],
    error: BaseException,
) -> MigrationFailed:
    """The error after a failed run: where the database really is, and what the failed revision left behind."""
    lock = run.retries.reason(error)
    reason = mask_text(lock[0] if lock else _first_line(error), run.url)
    persisted: tuple[str, ...] = ()
    at: tuple[str, ...] = ()
    try:
        at = read_heads(run.url)
        done = moved(run.scripts, start, at, run.direction)
        left, persisted = _left_as(run, start, at, snapshots)
        if done:
            record_movement(run.url, run.scripts, Movement(run.direction, start, at, tuple(done)))
    except Exception as reading:  # the database may be gone or locked: say so rather than guess
        done = []
        left = f"its revision could not be read ({mask_text(_first_line(reading), run.url)})"
    failed = steps[len(done)].revision if len(done) < len(steps) else (steps[-1].revision if steps else None)
    if made is not None:
        left += f"; backup taken before the run: {made.path} (schema-tools restore PATH --url URL)"
    report = MigrationReport(
        run.direction, run.label, run.backend, start, tuple(done), made, False, failed, reason, at, left, persisted
    )
    todo = f": {lock[1]}" if lock else ""
    message = f"{run.direction} failed in revision {failed}: {reason}; database {left}{todo}"
    return MigrationFailed(message, report=report)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(error).__name__


def upgrade(
    url: str | URL | None = None,
    revision: str = "head",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Config | str | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    ddl_retries: int | None = None,
    ddl_retry_backoff: float | None = None,
) -> MigrationReport:
    """Upgrade to `revision` through the app's env.py: judge each revision, back up, migrate one at a time.

    DDL gives up a lock wait after ddl_lock_timeout seconds and is retried ddl_retries times (None: the
    project's ddl-lock-timeout, statement-timeout, ddl-retries, ddl-retry-backoff).
    """
    return _run("upgrade", url, revision, take_backup=backup, allow_data_loss=allow_data_loss, config=config,
                backup_dir=backup_dir, progress=progress,
                timeouts=(ddl_lock_timeout, statement_timeout, ddl_retries, ddl_retry_backoff))  # fmt: skip


def downgrade(
    url: str | URL | None = None,
    revision: str = "-1",
    *,
    backup: bool = True,
    allow_data_loss: bool = False,
    config: Config | str | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    ddl_lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    ddl_retries: int | None = None,
    ddl_retry_backoff: float | None = None,
) -> MigrationReport:
    """Downgrade to `revision` (a revision, -N or base) the same way; drops need allow_data_loss."""
    return _run("downgrade", url, revision, take_backup=backup, allow_data_loss=allow_data_loss, config=config,
                backup_dir=backup_dir, progress=progress,
                timeouts=(ddl_lock_timeout, statement_timeout, ddl_retries, ddl_retry_backoff))  # fmt: skip
