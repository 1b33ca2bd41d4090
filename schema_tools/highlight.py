"""Syntax-highlighted Python and SQL for Jupyter (Pygments, inline styles, deterministic HTML, a copy button)."""

from __future__ import annotations

from dataclasses import dataclass

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, SqlLexer

from .display import code_block

# Inline styles (noclasses): the HTML looks the same wherever it is shown, with no stylesheet to ship.
_FORMATTER = HtmlFormatter(noclasses=True, style="default", nowrap=False)


def highlight_python(code: str, title: str = "") -> str:
    """Python as inline-styled HTML in a box that scrolls instead of wrapping, with a copy button."""
    return code_block(str(highlight(code, PythonLexer(), _FORMATTER)), code, title=title)


def highlight_sql(code: str, title: str = "") -> str:
    """SQL as inline-styled HTML in a box that scrolls instead of wrapping, with a copy button."""
    return code_block(str(highlight(code, SqlLexer(), _FORMATTER)), code, title=title)


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
        return highlight_sql(self.text, title=f"SQL for {self.dialect}")
