"""Checksums of applied revision files: env.py records them, verify() finds files edited after they ran."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.migration import MigrationInfo
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import URL

from .config import alembic_config, display_path, project_of
from .connect import read_only_connection
from .display import escape, html_table, text_table
from .errors import RevisionError
from .labels import describe
from .runner import Movement, opened
from .scripts import RevisionFile, read_files

TABLE = "schema_tools_applied"
OK, EDITED, MISSING, UNRECORDED = "ok", "edited", "file missing", "not recorded"

applied_table = sa.Table(
    TABLE,
    sa.MetaData(),
    sa.Column("revision", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
)


def file_checksum(path: str | Path) -> str:
    """SHA-256 of a revision file, with line endings normalised so a checkout on Windows does not count."""
    return hashlib.sha256(Path(path).read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def record_checksum(ctx: MigrationContext, step: MigrationInfo, **_: Any) -> None:
    """on_version_apply callback: store the applied revision's checksum, or forget a reverted one."""
    connection = ctx.connection
    if connection is None:  # offline (--sql): nothing to record
        return
    applied_table.create(connection, checkfirst=True)
    revision = step.up_revision_id
    connection.execute(applied_table.delete().where(applied_table.c.revision == revision))
    if step.is_upgrade and isinstance(step.up_revision, Script) and step.up_revision.path:
        connection.execute(
            applied_table.insert().values(revision=revision, sha256=file_checksum(step.up_revision.path))
        )


@dataclass(frozen=True)
class RevisionCheck:
    revision: str
    status: str
    path: str


@dataclass(frozen=True)
class VerifyReport:
    """Every applied revision and whether its file is the one that ran."""

    database: str
    checks: tuple[RevisionCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.status in (OK, UNRECORDED) for check in self.checks)

    def _headline(self) -> str:
        bad = [c for c in self.checks if c.status in (EDITED, MISSING)]
        if not bad:
            return f"{describe(self.database)}: {len(self.checks)} applied revisions, no file changed since it ran"
        return f"{describe(self.database)}: {len(bad)} applied revision(s) changed since they ran: " + ", ".join(
            f"{c.revision} ({c.status})" for c in bad
        )

    def __str__(self) -> str:
        rows = [(c.revision, c.status, c.path) for c in self.checks]
        return f"{self._headline()}\n{text_table(('revision', 'status', 'file'), rows)}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = [(c.revision, c.status, c.path) for c in self.checks]
        return html_table(("revision", "status", "file"), rows, caption=escape(self._headline()))


def record_movement(url: str | URL, scripts: ScriptDirectory, movement: Movement) -> None:
    """After a guarded run, record (or forget) the checksums of the revisions that moved.

    env.py files that call schema_tools record them inside each migration; stock env.py files don't,
    so the guarded upgrade records them afterwards from the version table's movement. Idempotent.
    """
    with opened(url, create=False) as connection:
        applied_table.create(connection, checkfirst=True)
        for step in movement.steps:
            connection.execute(applied_table.delete().where(applied_table.c.revision == step.revision))
            if movement.direction == "upgrade":
                path = scripts.get_revision(step.revision).path
                if path and Path(path).is_file():
                    connection.execute(
                        applied_table.insert().values(revision=step.revision, sha256=file_checksum(path))
                    )
        connection.commit()


def _applied(files: dict[str, RevisionFile], current: tuple[str, ...], recorded: dict[str, str]) -> list[str]:
    """Revisions at or below `current`, oldest first, walking the files; a hole (a deleted file) is bridged
    by the one revision whose file nothing else builds on, so only the deleted file shows as missing."""
    children = {parent for item in files.values() for parent in item.parents}
    dangling = [r for r in files if r not in children and r not in current]
    seen: list[str] = []
    pending = list(current)
    while pending:
        revision = pending.pop()
        if revision in seen:
            continue
        seen.append(revision)
        if revision in files:
            pending.extend(files[revision].parents)
        elif len(dangling) == 1:  # the deleted file's parent: the only other revision with no child
            pending.append(dangling.pop())
    seen += [revision for revision in recorded if revision not in seen]
    order = {revision: index for index, revision in enumerate(_oldest_first(files))}
    return sorted(seen, key=lambda revision: (order.get(revision, -1), revision))


def _oldest_first(files: dict[str, RevisionFile]) -> list[str]:
    placed: list[str] = []
    remaining = dict(files)
    while remaining:
        ready = sorted(r for r, item in remaining.items() if all(p in placed or p not in files for p in item.parents))
        if not ready:
            placed += sorted(remaining)
            break
        for revision in ready:
            placed.append(revision)
            del remaining[revision]
    return placed


def _refuse_unverifiable(files: dict[str, RevisionFile], current: tuple[str, ...], recorded: dict[str, str]) -> None:
    """A stamp no file has, or conflicting version rows: there is no history to verify against."""
    unknown = [revision for revision in current if revision not in files and revision not in recorded]
    if unknown:
        raise RevisionError(
            f"Can't locate revision {', '.join(unknown)}: the database is stamped with a revision no file has; "
            "check out the branch that has it"
        )
    for revision in current:
        below = set(_applied(files, (revision,), {})) - {revision}
        clash = sorted(set(current) & below)
        if clash:
            raise RevisionError(
                f"alembic_version has conflicting rows: {', '.join(clash)} is an ancestor of {revision}; "
                f"keep only the newer one ('alembic stamp --purge {revision}')"
            )


def verify(url: str | URL | None = None, *, config: Config | None = None) -> VerifyReport:
    """Compare the checksums recorded at apply time with the revision files now (read-only).

    Refuses a database stamped with a revision no file has, and conflicting version rows: there is no
    history to verify against then.
    """
    cfg = config if config is not None else alembic_config()
    project = project_of(cfg)
    target = project.database_url(url)
    files = read_files(cfg)
    with read_only_connection(target) as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
        recorded: dict[str, str] = {}
        if sa.inspect(connection).has_table(TABLE):
            recorded = dict(connection.execute(sa.select(applied_table.c.revision, applied_table.c.sha256)).all())
    _refuse_unverifiable(files, current, recorded)
    checks = []
    for revision in _applied(files, current, recorded):
        item = files.get(revision)
        if item is None or not item.path.is_file():
            status = MISSING
        elif revision not in recorded:
            status = UNRECORDED
        else:
            status = OK if file_checksum(item.path) == recorded[revision] else EDITED
        checks.append(RevisionCheck(revision, status, display_path(item.path, project.root) if item else ""))
    return VerifyReport(describe(target), tuple(checks))
