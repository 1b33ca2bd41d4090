"""One roundtrip step: upgrade, downgrade and upgrade one revision on the scratch database, and judge it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from alembic.script import Script

from .revisions import first_line, parents
from .roundtrip_compare import row_differences, schema_differences
from .roundtrip_report import FAILED, IRREVERSIBLE, NOOP_DOWNGRADE, NOT_REACHED, OK, RoundtripStep
from .roundtrip_scratch import Scratch, attempt
from .roundtrip_scripts import first_message, is_empty_function, not_implemented
from .roundtrip_snapshot import DataSnapshot, data_snapshot, schema_snapshot
from .seeding import EnumLabels, describe_error, seed_tables

__all__ = ["Stairway"]

# An upgrade refused because what it creates already exists: what an empty downgrade leaves behind.
_DUPLICATE = re.compile(
    r"already exists|duplicate (?:column|key name|check constraint|foreign key|index|constraint)"
    r"|\((?:1050|1060|1061|1826),",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Cycle:
    """What one upgrade → downgrade → upgrade did; `upgrade_error` is set when the first upgrade failed."""

    status: str
    up_ok: bool | None
    down_ok: bool | None
    schema_restored: bool | None = None
    rows_kept: bool | None = None
    details: tuple[str, ...] = ()
    upgrade_error: str | None = None
    had_rows: bool = False


@dataclass(frozen=True)
class _Restoration:
    """How far the downgrade put back the schema and the rows of before the upgrade."""

    schema_changes: list[str]
    row_changes: list[str]
    rows_kept: bool

    def details(self, empty_downgrade: bool) -> list[str]:
        details = ["downgrade() is empty: nothing was undone"] if empty_downgrade else []
        if self.schema_changes:
            details.append("schema not restored: " + "; ".join(self.schema_changes))
        if self.row_changes:
            details.append("rows not kept: " + "; ".join(self.row_changes))
        return details


def _restoration(
    before: tuple[dict[str, Any], DataSnapshot], after: tuple[dict[str, Any], DataSnapshot]
) -> _Restoration:
    (schema_before, data_before), (schema_after, data_after) = before, after
    row_changes = row_differences(data_before, data_after)
    rows_kept = not row_changes and all(table in data_after for table, (_, rows) in data_before.items() if rows)
    return _Restoration(schema_differences(schema_before, schema_after), row_changes, rows_kept)


def _downgrade_failure(error: Exception) -> _Cycle:
    if not_implemented(error):
        return _Cycle(IRREVERSIBLE, True, None, details=(f"irreversible: {first_message(error)}",))
    return _Cycle(FAILED, True, False, details=(f"downgrade failed: {describe_error(error)}",))


def _upgrade_again_failure(error: Exception, empty_downgrade: bool) -> str:
    again = f"upgrade after the downgrade failed: {describe_error(error)}"
    if empty_downgrade and _DUPLICATE.search(again):
        again += " (a duplicate: the empty downgrade left what the upgrade creates)"
    return again


class Stairway:
    """Runs the steps in order and remembers what later steps must know: unreachable revisions, unseeded tables."""

    def __init__(self, scratch: Scratch, seed_rows: bool, labels: EnumLabels) -> None:
        self.scratch = scratch
        self.seed_rows = seed_rows
        self.labels = labels
        self.unreachable: dict[str, str] = {}
        self.unseeded: set[str] = set()

    def _seed(self) -> list[str]:
        notes = []
        try:
            assert self.scratch.engine is not None
            with self.scratch.engine.begin() as connection:
                report = seed_tables(connection, labels=self.labels)
        except Exception as error:  # a schema the seeder cannot read: the step still runs, without rows
            return [f"seeding failed: {describe_error(error)}"]
        for table, reason in report.skipped:
            if table not in self.unseeded:
                self.unseeded.add(table)
                notes.append(f"{table} not seeded: {reason}")
        return notes

    def _snapshots(self) -> tuple[dict[str, Any], DataSnapshot]:
        with self.scratch.connection() as connection:
            return schema_snapshot(connection), data_snapshot(connection)

    def step(self, script: Script) -> RoundtripStep:
        """Bring the scratch database to the revision's parents, seed it, and cycle the revision."""
        start = time.perf_counter()

        def result(cycle: _Cycle, *notes: str) -> RoundtripStep:
            detail = "; ".join(part for part in (*cycle.details, *notes) if part)
            return RoundtripStep(
                script.revision,
                first_line(script.doc),
                cycle.up_ok,
                cycle.down_ok,
                cycle.schema_restored,
                cycle.rows_kept,
                time.perf_counter() - start,
                cycle.status,
                detail,
            )

        below = parents(script)
        blocked = next((parent for parent in below if parent in self.unreachable), None)
        why = self.unreachable[blocked] if blocked is not None else self.scratch.reach(below)
        if why is not None:
            self.unreachable[script.revision] = why
            return result(_Cycle(NOT_REACHED, None, None, details=(f"not reached: {why}",)))
        notes = self._seed() if self.seed_rows else []
        cycle = self._cycle(script)
        if cycle.upgrade_error is not None and cycle.had_rows:
            cycle = self._on_empty_tables(script, cycle)
        return result(cycle, *notes)

    def _on_empty_tables(self, script: Script, seeded: _Cycle) -> _Cycle:
        """The upgrade refused the seeded rows: run the step again on empty tables, so its downgrade is still
        exercised and the database moves past it for the revisions after it."""
        self.scratch.heads = None
        if self.scratch.reach(parents(script)) is not None:
            return seeded
        empty = self._cycle(script)
        if empty.upgrade_error is not None:
            return seeded
        verdict = "round-trips" if empty.status == OK else empty.status
        details = (f"upgrade failed on the seeded rows: {seeded.upgrade_error}", f"on empty tables it {verdict}")
        status = FAILED if empty.status == OK else empty.status
        return _Cycle(status, False, empty.down_ok, empty.schema_restored, None, (*details, *empty.details))

    def _cycle(self, script: Script) -> _Cycle:
        """Upgrade, downgrade and upgrade `script` on the scratch database, which is at its parents."""
        upgrade = partial(self.scratch.migrate, "upgrade", script.revision)
        before = self._snapshots()
        error = attempt(upgrade)
        if error is not None:
            problem = describe_error(error)
            had_rows = any(rows for _, rows in before[1].values())
            failed = (f"upgrade failed: {problem}",)
            return _Cycle(FAILED, False, None, details=failed, upgrade_error=problem, had_rows=had_rows)
        empty_downgrade = is_empty_function(script, "downgrade") and not is_empty_function(script, "upgrade")
        error = attempt(partial(self.scratch.downgrade_one, script))
        if error is not None:
            self.scratch.heads = None
            return _downgrade_failure(error)
        restoration = _restoration(before, self._snapshots())
        details = restoration.details(empty_downgrade)
        restored = not restoration.schema_changes and restoration.rows_kept
        status = NOOP_DOWNGRADE if empty_downgrade else (OK if restored else FAILED)
        error = attempt(upgrade)
        if error is not None:
            details.append(_upgrade_again_failure(error, empty_downgrade))
            status = NOOP_DOWNGRADE if empty_downgrade else FAILED
        schema_restored = not restoration.schema_changes
        return _Cycle(status, error is None, True, schema_restored, restoration.rows_kept, tuple(details))
