"""Finding: a verdict placed on the operation it is about, and how a list of findings is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..display import badge, escape, html_table, text_table
from .engine import Subject
from .verdict import ERROR, INFO, SAFE, SEVERITIES, WARNING, Verdict

__all__ = ["ERROR", "INFO", "WARNING", "Finding", "findings_html", "findings_text", "sorted_findings"]


@dataclass(frozen=True)
class Finding:
    """One lint finding: which rule, how bad, on what, why, and the fix, with the live count when known.

    `risk` is the same risk class diff() gives the change; `change` is the change's (kind, table, name) key.
    """

    rule: str
    severity: str
    operation: str
    table: str | None
    column: str | None
    message: str
    hint: str
    count: int | None = None
    risk: str = SAFE
    change: tuple[str, str | None, str | None] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, subject: Subject, verdict: Verdict) -> Finding:
        """The finding a verdict makes on its subject."""
        change = subject.change
        column = change.name if change.kind.endswith("_column") or change.kind.startswith("modify_") else None
        if column is None and change.kind in ("add_index", "add_constraint") and change.columns:
            column = ", ".join(change.columns)
        return cls(
            verdict.rule, verdict.severity, subject.operation, change.table, column, verdict.message, verdict.fix,
            verdict.count, verdict.risk, change.key,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "risk": self.risk,
            "operation": self.operation,
            "table": self.table,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "count": self.count,
        }


def sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then by rule and operation: the order every listing uses."""
    return tuple(sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.operation)))


HEADERS = ("severity", "rule", "operation", "message", "count", "fix")


def findings_text(findings: Iterable[Finding]) -> str:
    rows = [(f.severity, f.rule, f.operation, f.message, "" if f.count is None else f.count, f.hint) for f in findings]
    return text_table(HEADERS, rows) if rows else "no lint findings"


def findings_html(findings: Iterable[Finding]) -> str:
    rows = []
    for f in findings:
        level = {ERROR: "data-loss", WARNING: "may-fail", INFO: "safe"}[f.severity]
        count = "" if f.count is None else str(f.count)
        rows.append([badge(level).replace(f">{level}<", f">{f.severity}<"), escape(f.rule), escape(f.operation),
                     escape(f.message), escape(count), escape(f.hint)])  # fmt: skip
    if not rows:
        return '<div class="st-caption">no lint findings</div>'
    return html_table(HEADERS, rows, raw_html_columns=range(6))
