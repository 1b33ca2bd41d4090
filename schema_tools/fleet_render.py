"""A FleetReport as a terminal table and as a colour-coded Jupyter matrix (databases x status), the diff's colours."""

from __future__ import annotations

from collections.abc import Sequence

from .changes import RISKS
from .display import RISK_BACKGROUNDS, RISK_COLOURS, badge, escape, html_table, text_table
from .fleet_types import FleetEntry

OK, UNREACHABLE, FAILED = "ok", "unreachable", "check failed"
# Status colours borrowed from the risks: ok is green (safe), behind or drifted amber, unreachable red.
_TONE = {OK: "safe", "behind": "may-fail", "drifted": "may-fail", UNREACHABLE: "data-loss", FAILED: "data-loss"}
_GREY, _GREY_BACKGROUND = "#57606a", "#f6f8fa"


def status_of(entry: FleetEntry) -> str:
    """One word or two for a database: ok, unreachable, check failed, behind, drifted, behind + drifted."""
    if not entry.reachable:
        return UNREACHABLE
    if entry.error is not None:
        return FAILED
    words = [word for word, flag in (("behind", entry.behind), ("drifted", entry.drifted)) if flag]
    return " + ".join(words) or OK


def _revision_text(entry: FleetEntry) -> str:
    """The revision against the head: "abc = head", "abc -> def", "no history", or blank when unknown."""
    if not entry.reachable:
        return ""
    if entry.head is None:
        return "no history" if entry.revision is None else f"{entry.revision or 'base'} (no scripts)"
    at = entry.revision or "base"
    return f"{at} = head" if not entry.behind else f"{at} -> {entry.head}"


def _row(entry: FleetEntry) -> list[object]:
    checked = entry.reachable and entry.error is None
    counts = [entry.risks.get(risk, 0) for risk in RISKS] if checked else ["" for _ in RISKS]
    return [
        entry.database,
        status_of(entry),
        _revision_text(entry),
        entry.changes if checked else "",
        *counts,
        entry.error,
    ]


def fleet_text(headline: str, entries: Sequence[FleetEntry]) -> str:
    """The headline, one row per database, then each drifted database's changes when they were asked for."""
    headers = ("database", "status", "revision", "changes", *RISKS, "error")
    parts = [headline, text_table(headers, [_row(entry) for entry in entries])]
    for entry in entries:
        if entry.details:
            rows = [[c.get(key) for key in ("table", "kind", "name", "before", "after", "risk")] for c in entry.details]
            parts.append(f"\n{entry.database}:")
            parts.append(text_table(("table", "change", "name", "before", "after", "risk"), rows))
    return "\n".join(parts)


def _pill(text: str, tone: str | None) -> str:
    colour = RISK_COLOURS.get(tone or "", _GREY)
    background = RISK_BACKGROUNDS.get(tone or "", _GREY_BACKGROUND)
    return (
        f'<span class="st-badge" style="color:{colour};background:{background};border-radius:8px;padding:0 6px;'
        f'font-weight:600;white-space:nowrap">{escape(text)}</span>'
    )


def _revision_cell(entry: FleetEntry) -> str:
    text = _revision_text(entry)
    if not text:
        return ""
    tone = None if entry.behind is None else ("may-fail" if entry.behind else "safe")
    return _pill(text, tone)


def _count_cell(count: int, risk: str, entry: FleetEntry) -> str:
    """A risk count, coloured as the diff colours that risk when there is any."""
    if not entry.reachable or entry.error is not None:
        return ""
    return _pill(str(count), risk) if count else f'<span style="color:{_GREY}">0</span>'


def _details_cell(entry: FleetEntry) -> str:
    """A drill-down: the database's changes, one row each with its risk badge, folded until clicked."""
    if not entry.details:
        return ""
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape(change.get(key))}</td>" for key in ("table", "kind", "name", "before", "after"))
        + f"<td>{badge(str(change.get('risk')))}</td><td>{escape(change.get('reason'))}</td></tr>"
        for change in entry.details
    )
    header = "".join(f"<th>{name}</th>" for name in ("table", "change", "name", "before", "after", "risk", "why"))
    count = len(entry.details)
    return (
        f"<details><summary>{count} change{'s' if count != 1 else ''}</summary>"
        f'<table class="st-table"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></details>'
    )


def _html_row(entry: FleetEntry, with_details: bool) -> list[str]:
    status = status_of(entry)
    tone = _TONE.get(status, "may-fail")
    changes = str(entry.changes) if entry.reachable and entry.error is None else ""
    cells = [
        escape(entry.database),
        _pill(status, tone),
        _revision_cell(entry),
        escape(changes),
        *(_count_cell(entry.risks.get(risk, 0), risk, entry) for risk in RISKS),
        escape(entry.error),
    ]
    return [*cells, _details_cell(entry)] if with_details else cells


def fleet_html(headline: str, entries: Sequence[FleetEntry]) -> str:
    """The matrix: a row per database, its status, revision against head and drift by risk, coloured."""
    with_details = any(entry.details for entry in entries)
    headers: Sequence[str] = (
        "database",
        "status",
        "revision",
        "changes",
        *RISKS,
        "error",
        *(("details",) if with_details else ()),
    )
    rows = [_html_row(entry, with_details) for entry in entries]
    table = html_table(headers, rows, caption=escape(headline), raw_html_columns=range(len(headers)))
    # A long error or revision scrolls inside its own box instead of widening the notebook's output.
    return f'<div style="max-width:100%;overflow-x:auto">{table}</div>'
