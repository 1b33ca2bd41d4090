"""squawk, the PostgreSQL migration linter, run once over every operation's SQL; its findings become verdicts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..changes import type_text
from ..dialects.postgresql import PostgreSQL
from ..dialects.postgresql_locks import LOCK_FACTS
from .engine import RuleContext, Subject, plan_rule
from .locks import size_text, table_size
from .rendered import Script, render
from .types import as_type, widens_text
from .verdict import ERROR, SAFE, WARNING, Verdict

PREFIX = "squawk:"
TIMEOUT = 60.0


def squawk_binary() -> Path | None:
    """The squawk of the squawk-cli wheel next to this Python, else the one on PATH; None when missing."""
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file():
        return beside
    found = shutil.which("squawk")
    return Path(found) if found else None


def run_squawk(script: Script, pg_version: str | None) -> list[dict[str, Any]]:
    """squawk's JSON report on `script`; raises OSError or ValueError when squawk cannot answer."""
    binary = squawk_binary()
    if binary is None:
        raise OSError("squawk is not installed (pip install squawk-cli)")
    command = [str(binary), "--reporter", "json", "--stdin-filepath", "migration.sql"]
    if pg_version:
        command.append(f"--pg-version={pg_version}")
    done = subprocess.run(command, input=script.text, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode not in (0, 1):
        raise ValueError(f"squawk exited {done.returncode}: {done.stderr.strip()[:200]}")
    report = json.loads(done.stdout or "[]")
    if not isinstance(report, list):
        raise ValueError("squawk's report is not a list")
    return report


def _pg_version(context: RuleContext) -> str | None:
    connection = context.connection
    if connection is None or connection.dialect.name not in PostgreSQL.dialect_names:
        return None
    info = connection.dialect.server_version_info or ()
    return ".".join(str(part) for part in info[:2]) or None


def _catalog_only(subject: Subject, rule_name: str) -> bool:
    """A text widening (varchar(n) -> varchar(m >= n) or text) changes the catalog only: squawk over-reports it."""
    raw = subject.change.raw
    if rule_name != "changing-column-type" or subject.change.kind != "modify_type" or len(raw) < 7:
        return False
    return widens_text(as_type(raw[5]), as_type(raw[6]))


def _lead(subject: Subject) -> str:
    raw = subject.change.raw
    if subject.change.kind == "modify_type" and len(raw) >= 7:
        old, new = as_type(raw[5]), as_type(raw[6])
        return f"{type_text(old, None)} -> {type_text(new, None)} on {subject.table}: "
    return ""


def verdict_of(subject: Subject, finding: dict[str, Any], context: RuleContext) -> Verdict | None:
    """One squawk violation as a verdict with our live size, its lock, whether it rewrites, and a fix."""
    name = str(finding.get("rule_name", ""))
    fact = LOCK_FACTS.get(name)
    if fact is None or _catalog_only(subject, name):
        return None
    size = table_size(context, subject.table)
    rows = size[0] if size is not None else None
    if not fact.rewrites and (rows is None or rows < context.big_table_rows):
        return None  # a lock to build or scan is noticeable on a big table only; a rewrite is always listed
    severity = ERROR if str(finding.get("level", "")).lower() == "error" else WARNING
    rewrite = "rewrites the table" if fact.rewrites else "no rewrite"
    message = (
        f"{_lead(subject)}{' '.join(str(finding.get('message', '')).split())} "
        f"Takes {fact.lock}, {rewrite}; {size_text(subject.table, size)}."
    )
    fix = str(finding.get("help") or "") or fact.fix
    return Verdict(PREFIX + name, SAFE, severity, message, fix, rows)


def _unavailable(script: Script, error: Exception) -> Iterator[tuple[int, Verdict]]:
    message = f"squawk cannot judge this operation's locks: {' '.join(str(error).split())[:200]}"
    fix = "install squawk-cli (pip install squawk-cli) and lint again"
    for index, _first, _last in script.spans:
        yield index, Verdict(PREFIX + "unavailable", SAFE, WARNING, message, fix)


@plan_rule("squawk", backends=[PostgreSQL.name])
def squawk(subjects: Sequence[Subject], context: RuleContext) -> Iterator[tuple[int, Verdict]]:
    """squawk's lock and rewrite rules over the operations' PostgreSQL SQL, with live row counts and bytes.

    Fix: what squawk suggests for each finding (CONCURRENTLY, NOT VALID then VALIDATE, add-backfill-swap)."""
    script = render(subjects, context.backend.name)
    if not script.spans:
        return
    try:
        report = run_squawk(script, _pg_version(context))
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        yield from _unavailable(script, error)
        return
    for finding in report:
        index = script.subject_at(int(finding.get("line", -1)))
        if index is None:
            continue
        verdict = verdict_of(subjects[index], finding, context)
        if verdict is not None:
            yield index, verdict
