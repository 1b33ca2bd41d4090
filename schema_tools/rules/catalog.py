"""Every rule, loaded, and the four ways schema-tools asks them: diff risk, draft lint, revision lint, the guard.

Each caller turns what it has into Subjects (a diff's Change records, or Alembic operations) and gets the
same verdicts for the same change: one registry, one set of messages, one risk class per change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from ..changes import KINDS, Change
from ..dialects import BACKENDS, Backend
from ..dialects import postgresql_rules as _postgresql_rules
from . import checks as _checks
from . import data as _data
from . import enums as _enums
from . import locks as _locks
from . import names as _names
from . import renames as _renames
from . import views as _views
from .engine import RULES, RuleContext, Subject, evaluate, worst
from .findings import Finding, sorted_findings
from .operations import SAFE_KINDS, subjects_of_changes, subjects_of_ops, unknown_kinds
from .verdict import DATA_LOSS, SAFE, Verdict

# Importing them registers their rules.
LOADED = (_checks, _data, _enums, _locks, _names, _renames, _views, _postgresql_rules)
KNOWN_KINDS = frozenset(KINDS) | SAFE_KINDS | {"execute", "unknown"}


def judge(subjects: Sequence[Subject], context: RuleContext) -> tuple[tuple[Verdict, ...], ...]:
    """Every rule's verdicts on each subject; a kind no rule knows is judged risky, never passed as safe."""
    verdicts = [list(found) for found in evaluate(subjects, context)]
    for index in unknown_kinds(subjects, KNOWN_KINDS):
        verdicts[index].append(_data.unjudged(subjects[index]))
    return tuple(tuple(found) for found in verdicts)


def assess(
    changes: Sequence[Change],
    connection: Connection | None,
    backend: Backend | str,
    live_tables: Collection[str] = (),
) -> tuple[Change, ...]:
    """diff()'s risk: the changes with `risk`, `reason` and `verdicts` filled in (live counts with a connection).

    `live_tables`: tables the caller has just read in this connection's catalog, whose rows are counted without
    asking first whether they exist.
    """
    subjects = subjects_of_changes(changes)
    verdicts = judge(subjects, RuleContext(backend, connection, live_tables=live_tables))
    assessed = []
    for change, found in zip(changes, verdicts, strict=True):
        deciding = worst(found)
        risk = deciding.risk if deciding is not None else SAFE
        assessed.append(replace(change, risk=risk, reason=deciding.message if deciding else "", verdicts=found))
    return tuple(assessed)


def findings_of(subjects: Sequence[Subject], verdicts: Iterable[Sequence[Verdict]]) -> tuple[Finding, ...]:
    """The noteworthy verdicts as findings, errors first."""
    return sorted_findings(
        Finding.of(subject, verdict)
        for subject, found in zip(subjects, verdicts, strict=True)
        for verdict in found
        if verdict.noteworthy
    )


def lint_operations(container: Any, context: RuleContext) -> tuple[Finding, ...]:
    """The draft's and a revision file's lint: every applicable rule over the operations, errors first."""
    subjects = subjects_of_ops(container)
    return findings_of(subjects, judge(subjects, context))


def losses(operations: Any, backend: Backend | str) -> tuple[str, ...]:
    """The guard's reading of plain operations: what the rules call data loss without live data, in words."""
    subjects = subjects_of_ops(operations)
    found = judge(subjects, RuleContext(backend))
    return tuple(
        verdict.loss or verdict.message for verdicts in found for verdict in verdicts if verdict.risk == DATA_LOSS
    )


def type_change_loss(table: str, column: str, old: Any, new: Any, backend: Backend | str) -> str | None:
    """The guard's reading of a type change it measured on a scratch database: the loss, or None."""
    change = Change(
        "modify_type", table, column, columns=(column,), raw=("modify_type", None, table, column, {}, old, new)
    )
    found = judge([Subject(change, f"alter_column {table}.{column}")], RuleContext(backend))[0]
    return next((verdict.loss or verdict.message for verdict in found if verdict.risk == DATA_LOSS), None)


def rules_table() -> str:
    """The rules as a Markdown table, generated from the registry (README's rule reference)."""
    lines = ["| rule | looks at | backends | what it finds | fix |", "|---|---|---|---|---|"]
    for spec in sorted(RULES, key=lambda spec: spec.id):
        kinds = ", ".join(sorted(spec.kinds)) or "the whole set of changes"
        backends = ", ".join(b.label for b in BACKENDS if spec.backends is None or b.name in spec.backends)
        summary, _, fix = spec.summary.partition(" Fix: ")
        lines.append(f"| `{spec.id}` | {kinds} | {backends} | {summary} | {fix} |")
    return "\n".join(lines)
