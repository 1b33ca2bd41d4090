"""Shared rendering: plain-text tables for terminals and deterministic HTML tables for Jupyter."""

from __future__ import annotations

import html
from collections.abc import Sequence

RISK_COLOURS = {"safe": "#1a7f37", "may-fail": "#9a6700", "data-loss": "#cf222e"}
RISK_BACKGROUNDS = {"safe": "#dafbe1", "may-fail": "#fff8c5", "data-loss": "#ffebe9"}

# One small stylesheet, scoped by class, so outputs look the same in JupyterLab, VS Code and nbviewer.
STYLE = (
    "<style>"
    ".st-table{border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}"
    "table.st-table th,table.st-table td{border:1px solid #d0d7de;padding:3px 8px;"
    "text-align:left !important;vertical-align:top}"
    "table.st-table th{background:#f6f8fa}"
    "table.st-table tr.st-group td{background:#eef1f4;font-weight:600}"
    ".st-caption{font-family:system-ui,sans-serif;font-size:13px;margin:4px 0}"
    "</style>"
)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A fixed-width table with a header rule; None shows as an empty cell."""
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join([line, rule, *body])


def escape(value: object) -> str:
    """HTML-escape a cell; None is empty."""
    return "" if value is None else html.escape(str(value))


def badge(risk: str) -> str:
    """A coloured risk label."""
    colour, background = RISK_COLOURS.get(risk, "#57606a"), RISK_BACKGROUNDS.get(risk, "#f6f8fa")
    return (
        f'<span style="color:{colour};background:{background};border-radius:8px;padding:0 6px;'
        f'font-weight:600">{escape(risk)}</span>'
    )


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    caption: str = "",
    row_styles: Sequence[str] | None = None,
    raw_html_columns: Sequence[int] = (),
) -> str:
    """An HTML table; cells are escaped unless their column index is in raw_html_columns."""
    parts = [STYLE]
    if caption:
        parts.append(f'<div class="st-caption">{caption}</div>')
    parts.append('<table class="st-table"><thead><tr>')
    parts.extend(f"<th>{escape(h)}</th>" for h in headers)
    parts.append("</tr></thead><tbody>")
    for index, row in enumerate(rows):
        style = row_styles[index] if row_styles else ""
        parts.append(f"<tr{style}>")
        for column, value in enumerate(row):
            parts.append(f"<td>{value if column in raw_html_columns else escape(value)}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
