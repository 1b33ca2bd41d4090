"""One database of a fleet checked: its revision against the head and its drift against the models, never raising."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from .changes import RISKS
from .config import find_project
from .connect import mask_text, mask_url, read_only_connection
from .diff import diff
from .errors import RevisionError
from .fleet_cache import cached_models, heads, load_models
from .project import Project
from .settings import VERSION_TABLE
from .sources import describe

__all__ = ["FleetEntry", "Job", "check_one", "load_models", "run_job"]


@dataclass(frozen=True)
class FleetEntry:
    """Where one database of the fleet stands: reachable, its revision against the head, its drift by risk."""

    database: str  # a masked label (sources.describe, or the fleet file's name): never a password
    reachable: bool
    error: str | None  # one line, password masked, when not reachable or the check failed
    revision: str | None  # the database's Alembic revision(s), comma-joined; None when no version table
    head: str | None  # the scripts' head, None when no Alembic history applies (e.g. trade databases)
    behind: bool | None  # revision != head (None when no history applies)
    changes: int  # drift against the models (diff count); 0 when unreachable
    risks: dict[str, int]  # counts by risk class (safe/may-fail/data-loss)
    details: tuple[dict[str, Any], ...]  # the changes as dicts (Change.to_dict) when asked, else ()
    seconds: float

    @property
    def drifted(self) -> bool:
        """The database differs from its models."""
        return self.changes > 0

    @property
    def ok(self) -> bool:
        """Reachable, checked, at the head (or no history applies) and matching the models."""
        return self.reachable and self.error is None and not self.behind and not self.drifted

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, every field as named."""
        return {
            "database": self.database,
            "reachable": self.reachable,
            "error": self.error,
            "revision": self.revision,
            "head": self.head,
            "behind": self.behind,
            "changes": self.changes,
            "risks": dict(self.risks),
            "details": [dict(change) for change in self.details],
            "seconds": self.seconds,
        }


@dataclass(frozen=True, repr=False)
class Job:
    """The arguments of one check_one call, as plain picklable strings: what a pool or a Celery task runs.

    `name` is the fleet file's label for the database (`name = url`); None labels it by its masked URL.
    """

    url: str
    models: str
    config_path: str | None = None
    with_changes: bool = False
    name: str | None = field(default=None)

    def __repr__(self) -> str:  # the URL's password stays out of logs and tracebacks
        return f"Job({mask_url(self.url)!r}, {self.models!r}, {self.config_path!r}, {self.with_changes}, {self.name!r})"


def run_job(job: Job) -> FleetEntry:
    """check_one for a Job, labelled with the job's name when it has one."""
    entry = check_one(job.url, job.models, job.config_path, job.with_changes)
    return replace(entry, database=job.name) if job.name else entry


def _one_line(error: BaseException, url: str) -> str:
    """The error in one line, with the URL's password (and any other URL's) masked."""
    if isinstance(error, sa_exc.DBAPIError):
        lines = str(getattr(error, "orig", error)).strip().splitlines()
        text = f"database error: {lines[0] if lines else type(error).__name__}"
    else:
        lines = str(error).strip().splitlines()
        text = lines[0] if lines else type(error).__name__
    return mask_text(" ".join(text.split()), url)


def _label(url: str) -> str:
    """The password-free label of a URL; an unparseable one masked as text."""
    try:
        return describe(url)
    except Exception:  # a URL SQLAlchemy cannot parse is still shown, masked
        return mask_url(url)


def _project(config_path: str | None) -> Project:
    return find_project(config=config_path) if config_path else find_project()


def _revision(connection: Connection) -> str | None:
    """The version table's revisions, sorted and comma-joined; None when the database has no version table."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ",".join(sorted(context.get_current_heads()))


def _empty_risks() -> dict[str, int]:
    return {risk: 0 for risk in RISKS}


def check_one(url: str, models: str, config_path: str | None = None, with_changes: bool = False) -> FleetEntry:
    """Check one database against the models and the scripts' head; a database problem is returned, not raised.

    Unreachable, a wrong password, a missing file or a file that is not a database give reachable=False with
    a one-line masked error. A caller's mistake that would fail every database (models that do not import, a
    broken history) raises SchemaToolsError, so a fleet stops at once instead of reporting N copies of it.
    The revision and the drift are read in one read-only transaction, so they describe the same moment.
    A pool or Celery worker process checks many databases: it loads the models and the scripts' head once, and
    the head again only when a revision file or the Alembic config changed (fleet_cache).
    """
    started = time.perf_counter()
    project = _project(config_path)
    metadata = cached_models(project, models)  # imported once per process (fleet_cache)
    config = project.alembic_config(quiet=True) if project.has_alembic else None

    def entry(**values: Any) -> FleetEntry:
        fields: dict[str, Any] = {"revision": None, "head": None, "behind": None, "changes": 0, "error": None}
        fields |= {"risks": _empty_risks(), "details": ()} | values
        return FleetEntry(database=_label(url), seconds=round(time.perf_counter() - started, 3), **fields)

    try:
        with read_only_connection(project.database_url(url)) as connection:  # a relative file is the app's
            revision = _revision(connection)  # the first statement: a file that is no database fails here
            # No version table: no history applies. The head is loaded once per process (fleet_cache).
            head = heads(project) if revision is not None and project.has_alembic else None
            behind = None if head is None else revision != head
            try:
                found = diff(metadata, connection, config=config)
            except Exception as error:  # reachable, but the diff failed (a catalog it cannot read): reported
                return entry(reachable=True, error=_one_line(error, url), revision=revision, head=head, behind=behind)
    except RevisionError:  # the scripts are broken: every database would say so, the caller fixes them
        raise
    except Exception as error:  # a database problem: this database is reported, the fleet goes on
        return entry(reachable=False, error=_one_line(error, url))
    real = found.real()
    risks = _empty_risks() | {risk: sum(1 for change in real if change.risk == risk) for risk in RISKS}
    details = tuple(change.to_dict() for change in real) if with_changes else ()
    return entry(
        reachable=True, revision=revision, head=head, behind=behind, changes=len(real), risks=risks, details=details
    )
