"""Shared rendering: rich text tables for terminals and deterministic HTML (tables, badges, code, copy) for Jupyter."""

from __future__ import annotations

import html
import io
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

RISK_COLOURS = {"safe": "#1a7f37", "may-fail": "#9a6700", "data-loss": "#cf222e"}
RISK_BACKGROUNDS = {"safe": "#dafbe1", "may-fail": "#fff8c5", "data-loss": "#ffebe9"}

# A roundtrip step's status, a migration's outcome: which risk colour each wears.
STATUS_RISKS = {
    "ok": "safe",
    "yes": "safe",
    "failed": "data-loss",
    "NO": "data-loss",
    "irreversible": "may-fail",
    "no-op downgrade": "may-fail",
    "no-op": "may-fail",
}
# The same words in a terminal (rich styles); a cell whose whole text is one of them is coloured.
_TERMINAL_STYLES = {
    "safe": "green",
    "may-fail": "yellow",
    "data-loss": "bold red",
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
    **{
        word: {"safe": "green", "may-fail": "yellow", "data-loss": "bold red"}[risk]
        for word, risk in STATUS_RISKS.items()
    },
}

# One small stylesheet, scoped by class, so outputs look the same in JupyterLab, VS Code and nbviewer.
# Badges never wrap ("may-/fail"); code keeps its lines whole and scrolls sideways inside its box.
STYLE = (
    "<style>"
    ".st-table{border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}"
    "table.st-table th,table.st-table td{border:1px solid #d0d7de;padding:3px 8px;"
    "text-align:left !important;vertical-align:top}"
    "table.st-table th{background:#f6f8fa;white-space:nowrap}"
    "table.st-table tr.st-group td{background:#eef1f4;font-weight:600}"
    ".st-caption{font-family:system-ui,sans-serif;font-size:13px;margin:4px 0}"
    ".st-badge{white-space:nowrap !important}"
    ".st-code{position:relative;max-width:100%;overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;margin:4px 0}"
    ".st-code pre{white-space:pre !important;overflow-wrap:normal !important;word-break:keep-all !important;"
    "margin:0;padding:6px 8px}"
    ".st-copy{font-size:11px;padding:1px 6px;margin-left:6px;cursor:pointer;border:1px solid #d0d7de;"
    "border-radius:4px;background:#f6f8fa;color:#24292f;vertical-align:middle}"
    ".st-code>.st-copy{position:absolute;top:4px;right:4px;margin:0}"
    "</style>"
)

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
# rich lays a table out cell by cell (about 0.2 ms a cell): longer tables print as plain columns, at once.
TERMINAL_ROWS = 300


def colour_terminal() -> bool:
    """Whether text goes to a person's terminal (stdout is a TTY): then tables are drawn and coloured."""
    stream = sys.stdout
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def shorten(text: str, width: int, *, ascii_only: bool = False) -> str:
    """`text` cut to at most `width` characters, with an ellipsis where it was cut."""
    if len(text) <= width:
        return text
    mark = "..." if ascii_only else ELLIPSIS
    return text[: max(width - len(mark), 0)].rstrip() + mark


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table as text; None shows as an empty cell.

    Piped (or in a notebook's text/plain): the plain ASCII layout, a header, a dashed rule, columns two spaces
    apart, never wrapped. On a terminal: rich draws it to the terminal's width, with status words in colour
    (NO_COLOR turns the colour off); a table longer than TERMINAL_ROWS prints plain there too.
    """
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    if colour_terminal() and len(cells) <= TERMINAL_ROWS:
        return _terminal_table(headers, cells)
    return _plain_table(headers, cells)


def _render(renderable: Any, *, width: int, terminal: bool) -> str:
    """A rich renderable as a string: ANSI styles only for a terminal, lines right-stripped."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=terminal or None, no_color=None if terminal else True,
        highlight=False, emoji=False, markup=False, soft_wrap=False, legacy_windows=False,
    )  # fmt: skip
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip("\n").split("\n"))


def _plain_table(headers: Sequence[str], cells: list[list[str]]) -> str:
    """Columns padded to their widest cell as a terminal counts it (rich's cell widths: wide characters take two)."""
    from rich.cells import cell_len, set_cell_size

    widths = [cell_len(h) for h in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], cell_len(value))

    def line(values: Sequence[str]) -> str:
        return "  ".join(set_cell_size(v, w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)])


def _terminal_table(headers: Sequence[str], cells: list[list[str]]) -> str:
    """rich's table: a bold header over a rule, cells wrapped to the terminal's width, status words in colour."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False, expand=False)
    for header in headers:
        table.add_column(Text(header), overflow="fold")
    for row in cells:
        table.add_row(*[Text(value, style=_TERMINAL_STYLES.get(value, "")) for value in row])
    width = shutil.get_terminal_size(fallback=(120, 24)).columns
    # NO_COLOR (https://no-color.org) set and not empty: the drawn table without any escape code.
    return _render(table, width=max(width, 40), terminal=not os.environ.get("NO_COLOR"))


def escape(value: object) -> str:
    """HTML-escape a cell; None is empty."""
    return "" if value is None else html.escape(str(value))


def badge(risk: str, label: str | None = None) -> str:
    """A coloured risk label that never wraps."""
    colour, background = RISK_COLOURS.get(risk, "#57606a"), RISK_BACKGROUNDS.get(risk, "#f6f8fa")
    return (
        f'<span class="st-badge" style="color:{colour};background:{background};border-radius:8px;padding:0 6px;'
        f'font-weight:600;white-space:nowrap">{escape(risk if label is None else label)}</span>'
    )


def status_badge(status: str) -> str:
    """A status word (ok, failed, irreversible, ...) in its risk's colours; unknown words in grey."""
    return badge(STATUS_RISKS.get(status, "other"), status)


def copy_button(text: str, label: str = "copy") -> str:
    """A small button that copies `text` to the clipboard (JavaScript); without JS the text stays selectable."""
    return (
        f'<button class="st-copy" type="button" title="copy to the clipboard" data-copy="{escape(text)}" '
        "onclick=\"navigator.clipboard.writeText(this.dataset.copy).then(()=>{this.textContent='copied'})\">"
        f"{escape(label)}</button>"
    )


def command_html(command: str) -> str:
    """A shell command as copyable code."""
    return f'<code style="white-space:nowrap">{escape(command)}</code>{copy_button(command)}'


def code_block(highlighted: str, source: str, *, title: str = "") -> str:
    """Highlighted code in a box that scrolls sideways instead of wrapping, with a copy button for `source`."""
    heading = f'<div class="st-caption"><b>{escape(title)}</b></div>' if title else ""
    body = highlighted.replace("<pre ", '<pre class="st-pre" ', 1).replace(
        'style="line-height: 125%;"',
        'style="line-height:125%;white-space:pre;overflow-wrap:normal;word-break:keep-all"',
        1,
    )
    return f'{STYLE}{heading}<div class="st-code">{copy_button(source)}{body}</div>'


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


def ipython_shell() -> Any | None:
    """The running IPython kernel's shell, or None outside Jupyter (IPython is imported only when loaded already)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def show_updatable(bundle: dict[str, str]) -> Any:
    """Show a raw MIME bundle in the notebook and return its handle, to update it in place."""
    from IPython import display

    show: Any = display.display  # IPython's display() has no annotations
    return show(bundle, raw=True, display_id=True)
