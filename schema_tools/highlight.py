"""Syntax-highlighted Python and SQL for Jupyter (Pygments, inline styles, deterministic HTML)."""

from __future__ import annotations

from dataclasses import dataclass

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, SqlLexer

# Inline styles (noclasses): the HTML looks the same wherever it is shown, with no stylesheet to ship.
_FORMATTER = HtmlFormatter(noclasses=True, style="default", nowrap=False)


def highlight_python(code: str) -> str:
    """Python as inline-styled HTML."""
    return str(highlight(code, PythonLexer(), _FORMATTER))


def highlight_sql(code: str) -> str:
    """SQL as inline-styled HTML."""
    return str(highlight(code, SqlLexer(), _FORMATTER))


@dataclass(frozen=True)
class SQL:
    """SQL text that shows highlighted in Jupyter and plain in a terminal."""

    text: str
    dialect: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<b>SQL for {self.dialect}</b>{highlight_sql(self.text)}"
