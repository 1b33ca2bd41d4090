"""A SchemaDiff as text and HTML: the real changes with their risk, a cross-backend diff's dialect ones apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .changes import RISKS, Change
from .display import STYLE, badge, escape, html_table, text_table


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class DiffView:
    """What a diff shows: its real changes, its dialect differences (cross-backend only), and the two sides."""

    real: Sequence[Change]
    apart: Sequence[Change]
    source: str
    target: str
    # "sqlite vs postgresql": the two backends of a cross-backend diff; empty for one backend.
    backends: str = ""

    def headline(self) -> str:
        """One line: how many real changes, of which risks; and how many dialect differences."""
        if not self.real:
            if self.apart:
                return f"No real changes: {self.target} matches {self.source} but for {self._apart_words()}."
            return f"No changes: {self.target} matches {self.source}."
        risks = [change.risk for change in self.real]
        counts = ", ".join(f"{risks.count(name)} {name}" for name in RISKS if risks.count(name))
        tables = len({change.table for change in self.real})
        line = (
            f"{_plural(len(self.real), 'change')} in {_plural(tables, 'table')} "
            f"to make {self.target} match {self.source} ({counts})"
        )
        return f"{line}; {self._apart_words()} shown apart" if self.apart else line

    def _apart_words(self) -> str:
        return f"{_plural(len(self.apart), 'dialect difference')} ({self.backends} spellings of one schema)"

    def text(self) -> str:
        """The headline, the real changes' table, then the dialect differences' own table."""
        parts = [self.headline()]
        if self.real:
            rows = [(c.table, c.kind, c.name, c.before, c.after, c.risk, c.reason) for c in self.real]
            parts.append(text_table(("table", "change", "name", "before", "after", "risk", "why"), rows))
        if self.apart:
            apart = [(c.table, c.kind, c.name, c.before, c.after, c.reason) for c in self.apart]
            parts.append(f"\nDialect differences, not changes ({self.backends}):")
            parts.append(text_table(("table", "change", "name", "before", "after", "why"), apart))
        return "\n".join(parts)

    def html(self) -> str:
        """The real changes grouped by table and coloured by risk; the dialect differences in a table below."""
        if not self.real and not self.apart:
            return f'<div class="st-caption">{escape(self.headline())}</div>'
        parts = []
        if self.real:
            parts.append(_html_groups(self.real, escape(self.headline()), risk=True))
        else:
            parts.append(f'<div class="st-caption">{escape(self.headline())}</div>')
        if self.apart:
            caption = escape(f"Dialect differences, not changes ({self.backends})")
            table = _html_groups(self.apart, caption, risk=False)
            parts.append(table[len(STYLE) :] if self.real else table)
        return "".join(parts)


def _html_groups(changes: Sequence[Change], caption: str, *, risk: bool) -> str:
    """Changes grouped under a row per table, in table-name order."""
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.table or "", []).append(change)
    headers = ("change", "name", "before", "after", *(("risk",) if risk else ()), "why")
    rows: list[list[str]] = []
    styles: list[str] = []
    for table in sorted(groups):
        rows.append([f"<b>{escape(table)}</b>", *[""] * (len(headers) - 1)])
        styles.append(' class="st-group"')
        for change in groups[table]:
            cells = [escape(change.kind), escape(change.name), escape(change.before), escape(change.after)]
            rows.append([*cells, *((badge(change.risk),) if risk else ()), escape(change.reason)])
            styles.append("")
    return html_table(headers, rows, caption=caption, row_styles=styles, raw_html_columns=range(len(headers)))
