"""The focused view under a large diagram's overview: a diff's changed tables, or the hub, with their neighbours."""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from .filters import select
from .html import frame_html, image_html, note_html
from .model import SAME, Diagram

FOCUS_DEPTH = 1
NAMED = 6  # the changed tables a label names before "and N more"
_LABEL_STYLE = (
    "margin-top:12px;padding-top:6px;border-top:1px solid #d0d7de;color:#24292f;font-size:13px;overflow-wrap:break-word"
)


@dataclass(frozen=True)
class Focus:
    """Where a focused view starts and why: `changed` (a diff's changed tables) or `hub` (the best-linked table)."""

    start: tuple[str, ...]
    reason: Literal["changed", "hub"]
    relationships: int = 0  # the hub's
    depth: int = FOCUS_DEPTH


def hub(diagram: Diagram) -> tuple[str, int] | None:
    """The drawn table with the most foreign keys in or out (a self-reference counts once), ties to the first
    name so that the output never churns; None when no table has any."""
    drawn = set(diagram.table_names)
    counts: Counter[str] = Counter()
    for edge in diagram.edges:
        counts.update({edge.table, edge.referred_table} & drawn)
    if not counts:
        return None
    name = min(counts, key=lambda table: (-counts[table], table))
    return name, counts[name]


def changed_tables(diagram: Diagram) -> tuple[str, ...]:
    """The tables a diff adds, removes or changes, in name order (none outside a diff)."""
    if not diagram.diff_mode:
        return ()
    return tuple(sorted(table.name for table in diagram.tables if table.status != SAME))


def focus_for(diagram: Diagram) -> Focus | None:
    """A diff's changed tables, which the reader came for; else, or in a diff without changes, the hub."""
    changed = changed_tables(diagram)
    if changed:
        return Focus(changed, "changed")
    found = hub(diagram)
    return Focus((found[0],), "hub", found[1]) if found is not None else None


def focused(diagram: Diagram, focus: Focus) -> Diagram | None:
    """The focus and its neighbours; None when that is every table drawn (the overview already is the view)."""
    shown = select(diagram, focus=focus.start, depth=focus.depth)
    return shown if len(shown.tables) < len(diagram.tables) else None


def _names(names: tuple[str, ...]) -> str:
    listed = ", ".join(f"<code>{html.escape(name)}</code>" for name in names[:NAMED])
    return listed + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def label(focus: Focus, shown: int, total: int) -> str:
    """What the focused view shows, how far it reaches, and how to draw another part (HTML)."""
    if focus.reason == "changed":
        count = len(focus.start)
        what = f"the {count} changed table{'s' * (count != 1)} ({_names(focus.start)}) and their neighbours"
    else:
        what = (
            f"{_names(focus.start)}, the table with the most relationships ({focus.relationships}), and its neighbours"
        )
    named = focus.start[0] if len(focus.start) == 1 else list(focus.start)
    start = json.dumps(named) if len(focus.start) <= 3 else '"name"'  # a call to copy, unless it gets long
    return (
        f"<b>Focused view</b>: {what}, depth {focus.depth}: {shown} of {total} tables. "
        f"Another table or depth: <code>erd(..., focus={html.escape(start)}, depth={focus.depth + 1})</code>, "
        "or <code>explore(...)</code> to pick a table, zoom and search."
    )


def overview_with_focus(overview: tuple[str, str, int], part: tuple[str, str, int], focus: Focus) -> str:
    """The fitted overview, then the focused view under its label; each is (svg, summary, tables)."""
    svg, summary, total = overview
    part_svg, part_summary, shown = part
    note = (
        f"Overview of the {total} tables drawn, fitted to the output: explore(...) zooms and searches it. "
        "Below, a focused view at readable size."
    )
    return frame_html(
        image_html(svg, summary, capped=True),
        note_html(html.escape(note)),
        f'<div class="st-erd-focus-label" style="{_LABEL_STYLE}">{label(focus, shown, total)}</div>',
        image_html(part_svg, f"Focused view: {part_summary}", extra_class="st-erd-focus"),
    )
