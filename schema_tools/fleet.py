"""fleet(): many databases checked against the models and the head, in a bounded local pool or any executor."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .config import find_project, resolve_sqlite_path
from .diff import SchemaDiff, diff
from .errors import ConfigurationError
from .fleet_render import fleet_html, fleet_text
from .fleet_types import FleetEntry, Job, check_one, load_models, run_job
from .labels import is_url
from .pool_fork import forking

__all__ = ["FleetEntry", "FleetReport", "Job", "check_one", "fleet", "local_pool", "parse_fleet"]

Executor = Callable[[list[Job]], list[FleetEntry]]
# "module:attribute" after the last "|" of a line: the models that database is checked against.
# A comment: a line starting with "#", or "#" after a space (a URL has no space; its "#" is written %23).
_COMMENT = re.compile(r"(^|\s)#.*$")
_MODELS = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True, repr=False)
class FleetReport:
    """Every database of a fleet, in input order, with what stands out: unreachable, behind, drifted."""

    entries: tuple[FleetEntry, ...]
    models: str
    seconds: float
    # The jobs that were run (URLs with their passwords): kept for drill-down, never shown or serialised.
    _jobs: tuple[Job, ...] = field(default=(), compare=False)

    @property
    def reachable(self) -> tuple[FleetEntry, ...]:
        return tuple(entry for entry in self.entries if entry.reachable)

    @property
    def unreachable(self) -> tuple[FleetEntry, ...]:
        return tuple(entry for entry in self.entries if not entry.reachable)

    @property
    def failed(self) -> tuple[FleetEntry, ...]:
        """Reachable databases whose check failed (the error says why)."""
        return tuple(entry for entry in self.entries if entry.reachable and entry.error is not None)

    @property
    def behind(self) -> tuple[FleetEntry, ...]:
        return tuple(entry for entry in self.entries if entry.behind)

    @property
    def drifted(self) -> tuple[FleetEntry, ...]:
        return tuple(entry for entry in self.entries if entry.drifted)

    @property
    def ok(self) -> bool:
        """Every database reachable, checked, at its head and matching its models: exit 0."""
        return all(entry.ok for entry in self.entries)

    def summary(self) -> dict[str, int]:
        """Counts: databases, reachable, unreachable, failed checks, behind, drifted."""
        return {
            "databases": len(self.entries),
            "reachable": len(self.reachable),
            "unreachable": len(self.unreachable),
            "failed": len(self.failed),
            "behind": len(self.behind),
            "drifted": len(self.drifted),
        }

    def headline(self) -> str:
        counts = self.summary()
        words = ", ".join(f"{counts[key]} {key}" for key in ("reachable", "unreachable", "failed", "behind", "drifted"))
        verdict = "all match" if self.ok else "attention needed"
        plural = "s" if counts["databases"] != 1 else ""
        return f"{counts['databases']} database{plural} against {self.models}: {words} ({verdict})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: {"models", "summary", "ok", "seconds", "databases": [entry, ...]}."""
        return {
            "models": self.models,
            "summary": self.summary(),
            "ok": self.ok,
            "seconds": self.seconds,
            "databases": [entry.to_dict() for entry in self.entries],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def diff(self, database: str | int) -> SchemaDiff:
        """Drill down: the full diff of one database (by label or position) against its models, ERD included."""
        labels = [entry.database for entry in self.entries]
        if not isinstance(database, int) and database not in labels:
            raise ConfigurationError(f"no database labelled {database!r} in this fleet: one of {', '.join(labels)}")
        job = self._jobs[database if isinstance(database, int) else labels.index(database)]
        project = find_project(config=job.config_path) if job.config_path else find_project()
        config = project.alembic_config(quiet=True) if project.has_alembic else None
        return diff(load_models(project, job.models), job.url, config=config)

    def __str__(self) -> str:
        return fleet_text(self.headline(), self.entries)

    def __repr__(self) -> str:
        return f"<FleetReport: {self.headline()}>"

    def _repr_html_(self) -> str:
        return fleet_html(self.headline(), self.entries)


def _split_line(line: str) -> tuple[str | None, str, str | None]:
    """`[name =] url [| module:attr]` as (name, url, models)."""
    models = None
    head, bar, tail = line.rpartition("|")
    if bar and _MODELS.match(tail.strip()):
        line, models = head.strip(), tail.strip()
    name = None
    before, equals, after = line.partition("=")
    if equals and "://" not in before:  # an "=" inside a URL (a query string) comes after its "://"
        name, line = before.strip() or None, after.strip()
    return name, line, models


def _job(number: int, line: str, defaults: Job, base: Path | None) -> Job:
    """Line `number` of the fleet as a Job; a relative database file in a fleet file is next to the file."""
    name, url, own_models = _split_line(line)
    if not is_url(url):  # the line is not echoed: it may hold a password
        raise ConfigurationError(
            f"fleet line {number} is not a URL: write `url`, `name = url` or `name = url | module:attribute`"
        )
    if base is not None:
        url = _next_to(url, base)
    return replace(defaults, url=url, models=own_models or defaults.models, name=name)


def _next_to(url: str, base: Path) -> str:
    """A relative database file path made absolute from `base`; anything else (a malformed URL too) as written."""
    try:
        parsed = make_url(url)
    except ArgumentError:  # check_one reports it for this database alone
        return url
    resolved = resolve_sqlite_path(parsed, base)
    return url if resolved is parsed else resolved.render_as_string(hide_password=False)


def _lines(urls: Iterable[str | URL] | str | Path) -> tuple[list[str], Path | None]:
    """The fleet's lines and the folder relative paths are taken from (the fleet file's; None for a list)."""
    if isinstance(urls, str) and is_url(urls):
        return [urls], None
    if isinstance(urls, str | Path):
        path = Path(urls).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read the fleet file {path}: {error.strerror or error}") from None
        return text.splitlines(), path.resolve().parent
    return [url.render_as_string(hide_password=False) if isinstance(url, URL) else url for url in urls], None


def parse_fleet(
    urls: Iterable[str | URL] | str | Path, models: str, *, config_path: str | None = None, with_changes: bool = False
) -> list[Job]:
    """The fleet's jobs: one per non-blank, non-comment line (`url`, `name = url`, `... | module:attribute`)."""
    lines, base = _lines(urls)
    defaults = Job("", models, config_path, with_changes)
    jobs = []
    for number, raw in enumerate(lines, start=1):
        line = _COMMENT.sub("", raw).strip()
        if line:
            jobs.append(_job(number, line, defaults, base))
    if not jobs:
        raise ConfigurationError("the fleet names no database: one URL per line (`name = url` for a label)")
    return jobs


def local_pool(workers: int | None = None) -> Executor:
    """An executor over a bounded process pool (one database per task; results in input order)."""

    def run(jobs: list[Job]) -> list[FleetEntry]:
        size = min(workers or os.cpu_count() or 1, len(jobs))
        if size <= 1:
            return [run_job(job) for job in jobs]
        with ProcessPoolExecutor(max_workers=size) as pool:
            with forking():  # the processes fork while the jobs are handed out
                entries = pool.map(run_job, jobs)
            return list(entries)

    return run


def _config_path(config: Config | str | os.PathLike[str] | None) -> str | None:
    if config is None:
        return None
    if isinstance(config, Config):
        name = config.config_file_name or config.toml_file_name
        return str(name) if name else None
    return os.fspath(config)


def fleet(
    urls: Iterable[str | URL] | str | Path,
    models: str,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    with_changes: bool = False,
    workers: int | None = None,
    executor: Executor | None = None,
) -> FleetReport:
    """Check every database of a fleet: its revision against the head and its drift against the models.

    `urls` is a list, one URL, or a fleet file. One unreachable database never stops the rest; models that
    do not import stop the fleet before any database is opened (one line). `executor` runs the jobs
    elsewhere (Celery, see fleet_celery), else a local pool of `workers` processes (default: the CPUs).
    """
    started = time.perf_counter()
    config_path = _config_path(config)
    jobs = parse_fleet(urls, models, config_path=config_path, with_changes=with_changes)
    project = find_project(config=config_path) if config_path else find_project()
    for spec in sorted({job.models for job in jobs}):  # a models typo is one line, before any database
        load_models(project, spec)
    entries = (executor or local_pool(workers))(jobs)
    if len(entries) != len(jobs):
        raise ConfigurationError(f"the executor returned {len(entries)} results for {len(jobs)} databases")
    labelled = tuple(
        replace(entry, database=job.name) if job.name and entry.database != job.name else entry
        for job, entry in zip(jobs, entries, strict=True)
    )
    return FleetReport(labelled, models, round(time.perf_counter() - started, 3), tuple(jobs))
