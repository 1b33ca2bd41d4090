"""Checksums of applied revision files: env.py records them, verify() finds files edited after they ran."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from .connect import read_only_connection
from .display import escape, html_table, text_table
from .settings import alembic_config
from .sources import describe

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


def record_checksum(ctx: MigrationContext, step: Any, **_: Any) -> None:
    """on_version_apply callback: store the applied revision's checksum, or forget a reverted one."""
    connection = ctx.connection
    if connection is None:  # offline (--sql): nothing to record
        return
    applied_table.create(connection, checkfirst=True)
    revision = step.up_revision_id
    connection.execute(applied_table.delete().where(applied_table.c.revision == revision))
    if step.is_upgrade and step.up_revision is not None and step.up_revision.path:
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


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:
        return False


def verify(url: Any = None, *, config: Any = None) -> VerifyReport:
    """Compare the checksums recorded at apply time with the revision files now (read-only)."""
    cfg = config if config is not None else alembic_config()
    script = ScriptDirectory.from_config(cfg)
    root = Path(script.dir).parent
    with read_only_connection(url) as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        recorded: dict[str, str] = {}
        if sa.inspect(connection).has_table(TABLE):
            recorded = dict(connection.execute(sa.select(applied_table.c.revision, applied_table.c.sha256)).all())
    try:
        applied = list(script.iterate_revisions(current, "base")) if current else []
    except Exception:  # the current revision's file is gone: fall back to what was recorded
        applied = [script.get_revision(r) for r in recorded if _known(script, r)]
    checks = []
    for revision in reversed(applied):
        path = revision.path
        relative = str(Path(path).relative_to(root)) if path else ""
        if revision.revision not in recorded:
            status = UNRECORDED
        elif not path or not Path(path).is_file():
            status = MISSING
        else:
            status = OK if file_checksum(path) == recorded[revision.revision] else EDITED
        checks.append(RevisionCheck(revision.revision, status, relative))
    known = {check.revision for check in checks}
    for revision, _ in sorted(recorded.items()):
        if revision not in known:
            checks.append(RevisionCheck(revision, MISSING, ""))
    return VerifyReport(str(url) if url is not None else "", tuple(checks))
