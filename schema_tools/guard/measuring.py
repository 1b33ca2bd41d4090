"""Measuring a revision by running it on a seeded scratch database at its parent, with snapshots per version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from ..clone import CloneFailed, clone_schema
from ..connect import create_sync_engine, parse_url, sync_url
from ..dialects import backend_of
from ..enum_hints import enum_hints
from ..errors import EnvironmentMismatch
from ..revisions import Step, ancestors, lookup, parents
from ..runner import current_heads, migrate, opened
from ..scratch import prepare, scratch_database
from ..seeding import seed_tables
from .states import TableState, losses_between, schema_state
from .verdict import EFFECT, UNJUDGED, Verdict, _line


def _seed(url: URL, labels: Any) -> str:
    """Rows in every table, so deletes and renames show; returns what could not be seeded ('' when all went in)."""

    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            report = seed_tables(connection, labels=labels)
    except Exception as error:  # the seeder itself failed: schemas still compare, deletes go unseen
        return f"rows not seeded: {_line(error)[:120]}"
    finally:
        engine.dispose()
    if report.skipped:
        names = ", ".join(table for table, _ in report.skipped[:3]) + (", ..." if len(report.skipped) > 3 else "")
        return f"no rows seeded in {names}"
    return ""


def _labels(config: Config, scripts: ScriptDirectory, backend: str) -> Any:
    """Enum labels for string columns the database does not constrain (SQLite's bare Enum), from the app's code."""

    try:
        return enum_hints(config, list(scripts.walk_revisions()), backend)
    except Exception:  # labels only make seeds valid; without them a seeded enum may be refused, never misjudged
        return {}


@contextmanager
def _scratch_at(
    config: Config, like: str | URL, start: tuple[str, ...], clone_from: URL | None
) -> Iterator[tuple[URL, str]]:
    """A scratch database of `like`'s backend at `start`: a copy of `clone_from`'s schema when given (the schema
    the revisions will really meet), else built by the app's own history through env.py (after scratch-setup)."""

    if clone_from is not None:
        with scratch_database(like) as scratch:
            try:
                clone_schema(clone_from, scratch)
            except CloneFailed:
                pass  # no dump tool, say: build it from the history below instead
            else:
                yield scratch, "a copy of the database's schema"
                return
    with scratch_database(like) as scratch:
        prepare(config, scratch)
        for head in start:
            migrate(config, scratch, "upgrade", head)
        yield scratch, "built by its history at the parent revision"


@dataclass
class _Run:
    """One rehearsal on a scratch database: the states at each version, how it was built, and what failed."""

    states: dict[tuple[str, ...], dict[str, TableState]]
    where: str
    failure: BaseException | None


def _rehearse(
    config: Config, like: str | URL, start: tuple[str, ...], clone_from: URL | None, direction: str, target: str,
    labels: Any, *, seeded: bool,
) -> _Run:  # fmt: skip
    """Build a scratch database at `start`, seed it (or not), migrate it to `target` with snapshots."""

    backend = sync_url(parse_url(like)).get_backend_name()
    with _scratch_at(config, like, start, clone_from) as (scratch, how):
        note = _seed(scratch, labels) if seeded else "on empty tables"
        where = f"{backend}, {how}" + (f"; {note}" if note else "")
        with opened(scratch) as connection:
            states = {start: schema_state(connection)}
            connection.rollback()

        def on_version(migrating: Connection) -> None:
            states[current_heads(migrating)] = schema_state(migrating)

        try:
            migrate(config, scratch, direction, target, on_version=on_version)
        except EnvironmentMismatch:  # env.py ignores the URL it is given: a setup error, not a verdict
            raise
        except Exception as error:
            return _Run(states, where, error)
    return _Run(states, where, None)


@dataclass
class _Measurement:
    """One measure() call: the plan, and the verdicts found so far."""

    config: Config
    like: str | URL
    scripts: ScriptDirectory
    steps: list[Step]
    direction: str
    final: tuple[str, ...]
    labels: Any
    verdicts: dict[str, Verdict]

    @property
    def target(self) -> str:
        if self.direction == "upgrade":
            return self.final[0] if len(self.final) == 1 else "heads"
        return self.final[0] if self.final else "base"

    def judge_from(
        self, run: _Run, heads: tuple[str, ...], position: int, note: str = ""
    ) -> tuple[int, tuple[str, ...]]:
        """Verdicts for the steps the run has snapshots around; returns where it stopped."""
        while position < len(self.steps):
            step = self.steps[position]
            after = _heads_after(self.scripts, heads, step, self.direction, self.final)
            if heads not in run.states or after not in run.states:
                break
            losses = losses_between(run.states[heads], run.states[after])
            verdict = Verdict(step.revision, step.message, self.direction, EFFECT, losses, run.where + note)
            self.verdicts[step.revision] = verdict
            heads, position = after, position + 1
        return position, heads

    def segment(self, start: tuple[str, ...], index: int, clone: URL | None) -> tuple[int, BaseException | None]:
        """Run from `start` with seeded rows, then on empty tables if that failed; where it stopped, and why."""
        run = self._rehearse(start, clone, seeded=True)
        stopped, heads = self.judge_from(run, start, index)
        if stopped >= len(self.steps) or run.failure is None:
            return stopped, run.failure
        note = f" (it failed with seeded rows: {_line(run.failure)[:120]})"
        bare = self._rehearse(start, clone, seeded=False)
        stopped, _ = self.judge_from(bare, heads, stopped, note)
        return stopped, bare.failure

    def _rehearse(self, start: tuple[str, ...], clone: URL | None, *, seeded: bool) -> _Run:
        return _rehearse(self.config, self.like, start, clone, self.direction, self.target, self.labels, seeded=seeded)

    def unjudged(self, steps: list[Step], reason: str) -> None:
        for step in steps:
            self.verdicts[step.revision] = Verdict(step.revision, step.message, self.direction, UNJUDGED, reason=reason)


def measure(
    config: Config,
    like: str | URL,
    start: tuple[str, ...],
    steps: list[Step],
    direction: str,
    final: tuple[str, ...],
    *,
    clone_from: URL | None = None,
) -> dict[str, Verdict]:
    """Judge each step by running the steps on a scratch database at `start`, in one Alembic run as the real
    migration will, comparing the schema, rows and values before and after each (snapshots taken inside the
    run at every version-table write). A run that fails on the seeded rows is run again on empty tables.
    After a revision that fails even then, a downgrade goes on from a new scratch database built below it;
    an upgrade cannot reach what comes after, and says so."""
    scripts = ScriptDirectory.from_config(config)
    backend = backend_of(sync_url(parse_url(like))).name
    plan = _Measurement(config, like, scripts, steps, direction, final, _labels(config, scripts, backend), {})
    index, segment_start, clone = 0, start, clone_from
    while index < len(steps):
        try:
            index, failure = plan.segment(segment_start, index, clone)
        except EnvironmentMismatch:
            raise
        except Exception as error:  # no scratch database could be made or brought to the start
            where_to = ", ".join(segment_start) or "base"
            plan.unjudged(steps[index:], f"no scratch {backend} database could be built at {where_to}: {_line(error)}")
            break
        if index >= len(steps):
            break
        failed = steps[index]
        reason = (
            f"it failed on a scratch {backend} database: {_line(failure)}"
            if failure is not None
            else f"the scratch run left no snapshot after {failed.revision}"
        )
        plan.unjudged([failed], reason)
        index += 1
        if direction == "upgrade":
            plan.unjudged(steps[index:], f"not reached on the scratch database: {failed.revision} fails before it")
            break
        segment_start, clone = ((steps[index].revision,) if index < len(steps) else ()), None
    return plan.verdicts


def _heads_after(
    scripts: ScriptDirectory, heads: tuple[str, ...], step: Step, direction: str, final: tuple[str, ...]
) -> tuple[str, ...]:
    """The version table's rows once `step` has run from `heads` (one line of history)."""
    script = lookup(scripts, step.revision)
    if direction == "upgrade":
        below = set(parents(script))
        return tuple(sorted({*(h for h in heads if h not in below), step.revision}))
    remaining = {h for h in heads if h != step.revision} | set(parents(script))
    reachable = {h for h in remaining if h in ancestors(scripts, final) or not final}
    return tuple(sorted(reachable if reachable else remaining))
