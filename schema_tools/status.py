"""status(): the database's revision against the scripts' heads, and tables the models don't know."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .config import METADATA_ENV, Project, alembic_config, project_of
from .connect import read_only_connection
from .display import escape, html_table, text_table
from .errors import RevisionError
from .labels import describe
from .scripts import load_scripts
from .settings import INTERNAL_TABLES, VERSION_TABLE

UP_TO_DATE, BEHIND, UNKNOWN, MULTIPLE_HEADS = "up to date", "behind", "unknown revision", "multiple heads"


@dataclass(frozen=True)
class PendingRevision:
    """A revision the database still lacks."""

    revision: str
    message: str


@dataclass(frozen=True, repr=False)
class Status:
    """Where the database stands against the revision scripts."""

    target: str
    state: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    pending: tuple[PendingRevision, ...]
    unknown: tuple[str, ...]
    # Tables in the database that the metadata lacks: autogenerate would propose to drop them.
    unmodelled_tables: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return self.state == UP_TO_DATE

    def lines(self) -> list[str]:
        """The status as a few readable lines."""
        current = ", ".join(self.current) or "(no revision: empty or never stamped)"
        out = [f"database: {self.target}", f"current:  {current}", f"heads:    {', '.join(self.heads) or '(none)'}"]
        if self.state == UP_TO_DATE:
            out.append("status:   up to date")
        elif self.state == BEHIND:
            out.append(f"status:   behind by {len(self.pending)}: run 'alembic upgrade head' (or schema-tools upgrade)")
        elif self.state == MULTIPLE_HEADS:
            out.append(
                f"status:   {len(self.heads)} heads: merge them with "
                f"'alembic merge -m \"merge heads\" {' '.join(self.heads)}'"
            )
        else:
            out.append(
                f"status:   the database is at {', '.join(self.unknown)}, which the scripts do not know: it is ahead "
                "of this checkout or on another branch; check out the branch that has it"
            )
        if self.unmodelled_tables:
            out.append(
                f"hint:     {len(self.unmodelled_tables)} table(s) in the database are missing from the models "
                f"({', '.join(self.unmodelled_tables)}); autogenerate would drop them. Are all models imported "
                "where env.py's target_metadata is built?"
            )
        return out

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        text = "\n".join(self.lines())
        if self.pending:
            rows = [(p.revision, p.message) for p in self.pending]
            text += "\n" + text_table(("pending revision", "message"), rows)
        return text

    def _repr_html_(self) -> str:
        caption = "<br>".join(escape(line) for line in self.lines())
        if not self.pending:
            return f'<div class="st-caption">{caption}</div>'
        rows = [(p.revision, p.message) for p in self.pending]
        return html_table(("pending revision", "message"), rows, caption=caption)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "current": list(self.current),
            "heads": list(self.heads),
            "pending": [{"revision": p.revision, "message": p.message} for p in self.pending],
            "unknown": list(self.unknown),
            "unmodelled_tables": list(self.unmodelled_tables),
        }


def _pending(script: ScriptDirectory, current: tuple[str, ...]) -> tuple[PendingRevision, ...]:
    lower: Any = current if current else "base"
    revisions = list(script.iterate_revisions("heads", lower))
    revisions.reverse()  # oldest first: the order they would run in
    return tuple(PendingRevision(r.revision, (r.doc or "").strip().splitlines()[0] if r.doc else "") for r in revisions)


def status(
    url: str | URL | Engine | Connection | None = None,
    *,
    metadata: MetaData | str | None = None,
    config: Config | None = None,
) -> Status:
    """Compare the database's alembic_version with the scripts' heads, read-only.

    With models (given, or configured for the app) it also names tables the database has and they lack.
    """
    cfg = config if config is not None else alembic_config()
    project = project_of(cfg)
    script = load_scripts(cfg)
    heads = tuple(sorted(script.get_heads()))
    models = _models(project, metadata)
    target = url if isinstance(url, Engine | Connection) else project.database_url(url)
    with read_only_connection(target) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = tuple(sorted(context.get_current_heads()))
        live_tables = set(sa.inspect(connection).get_table_names())
    unmodelled = () if models is None else tuple(sorted(live_tables - set(models.tables) - INTERNAL_TABLES))
    unknown = tuple(rev for rev in current if _lookup(script, rev) is None)
    if not unknown and len(current) > 1:
        _refuse_conflicting_rows(script, current)
    state, pending = _standing(script, current, heads, unknown)
    return Status(describe(target), state, current, heads, pending, unknown, unmodelled)


def _standing(
    script: ScriptDirectory, current: tuple[str, ...], heads: tuple[str, ...], unknown: tuple[str, ...]
) -> tuple[str, tuple[PendingRevision, ...]]:
    """The database's state against the scripts, and the revisions it lacks (none told for an unknown stamp)."""
    if unknown:
        return UNKNOWN, ()
    pending = _pending(script, current)
    if len(heads) > 1:
        return MULTIPLE_HEADS, pending
    return (BEHIND if pending else UP_TO_DATE), pending


def _models(project: Project, metadata: MetaData | str | None) -> MetaData | None:
    """The models to name unmodelled tables with; None when the app configures none (no hint then)."""
    if isinstance(metadata, MetaData):
        return metadata
    if metadata is None and not (project.metadata or os.environ.get(METADATA_ENV)):
        return None
    return project.load_metadata(metadata)


def _refuse_conflicting_rows(script: ScriptDirectory, current: tuple[str, ...]) -> None:
    """Two alembic_version rows where one is the other's ancestor: a corrupted stamp, not two branches."""
    for revision in current:
        ancestors = {r.revision for r in script.iterate_revisions(revision, "base")} - {revision}
        clash = sorted(set(current) & ancestors)
        if clash:
            raise RevisionError(
                f"alembic_version has conflicting rows: {', '.join(clash)} is an ancestor of {revision}; "
                f"keep only the newer one ('alembic stamp --purge {revision}')"
            )


def _lookup(script: ScriptDirectory, revision: str) -> Script | None:
    try:
        return script.get_revision(revision)
    except (ResolutionError, CommandError, KeyError):
        return None


def require_known(status_: Status) -> None:
    """Raise when the database is stamped with a revision the scripts don't have."""
    if status_.unknown:
        raise RevisionError(
            f"Can't locate revision {', '.join(status_.unknown)}: the database is stamped with a revision "
            "this checkout's scripts don't have; check out the branch that has it"
        )
