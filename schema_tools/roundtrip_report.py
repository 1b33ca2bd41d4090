"""The roundtrip lab's result: one step per revision, shown as a table in a terminal or a notebook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .display import escape, html_table, shorten, status_badge, text_table

__all__ = ["FAILED", "IRREVERSIBLE", "NOOP_DOWNGRADE", "NOT_REACHED", "OK", "RoundtripReport", "RoundtripStep"]

OK, IRREVERSIBLE, FAILED = "ok", "irreversible", "failed"
NOOP_DOWNGRADE, NOT_REACHED = "no-op downgrade", "not reached"


@dataclass(frozen=True)
class RoundtripStep:
    """One revision's upgrade → downgrade → upgrade, and what the downgrade left different."""

    revision: str
    message: str
    up_ok: bool | None  # both upgrades ran; None: not reached
    down_ok: bool | None  # None: irreversible (NotImplementedError), or never run
    schema_restored: bool | None
    rows_kept: bool | None
    seconds: float
    status: str
    detail: str = ""


@dataclass(frozen=True)
class RoundtripReport:
    """The stairway over the whole history, on a scratch database of the backend."""

    backend: str
    steps: tuple[RoundtripStep, ...]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.status == OK for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def step(self, revision: str) -> RoundtripStep:
        """The step of one revision (KeyError when the history has no such revision)."""
        for step in self.steps:
            if step.revision == revision:
                return step
        raise KeyError(revision)

    def _rows(self, timings: bool, *, ascii_only: bool = True) -> list[tuple[Any, ...]]:
        def mark(value: bool | None) -> str:
            return "n/a" if value is None else ("yes" if value else "NO")

        rows = []
        for s in self.steps:
            down = {IRREVERSIBLE: "irreversible", NOOP_DOWNGRADE: "no-op"}.get(s.status, mark(s.down_ok))
            row: tuple[Any, ...] = (
                s.revision,
                shorten(s.message, 48, ascii_only=ascii_only),
                mark(s.up_ok),
                down,
                mark(s.schema_restored),
                mark(s.rows_kept),
                s.status,
            )
            rows.append((*row, f"{s.seconds:.2f}", s.detail) if timings else (*row, s.detail))
        return rows

    def _headline(self) -> str:
        counts = {status: sum(s.status == status for s in self.steps) for status in (FAILED, IRREVERSIBLE)}
        verdict = f"{counts[FAILED]} failed, {counts[IRREVERSIBLE]} irreversible"
        for status in (NOOP_DOWNGRADE, NOT_REACHED):
            found = sum(s.status == status for s in self.steps)
            if found:
                verdict += f", {found} {status}"
        verdict = "all revisions round-trip" if self.ok else verdict
        return f"Roundtrip on a scratch {self.backend} database: {len(self.steps)} revisions, {verdict}"

    _HEADERS = ("revision", "message", "up ok", "down ok", "schema restored", "rows kept", "status")

    def __str__(self) -> str:
        table = text_table((*self._HEADERS, "seconds", "detail"), self._rows(timings=True))
        return f"{self._headline()} ({self.seconds:.2f} s)\n{table}"

    def __repr__(self) -> str:  # no timings: stored notebook outputs stay the same from run to run
        return f"{self._headline()}\n{text_table((*self._HEADERS, 'detail'), self._rows(timings=False))}"

    def _repr_html_(self) -> str:
        """The table with each status in its colour (ok green, failed red, irreversible or no-op amber)."""
        status = self._HEADERS.index("status")
        rows = [
            [status_badge(str(v)) if column == status else escape(v) for column, v in enumerate(row)]
            for row in self._rows(timings=False, ascii_only=False)
        ]
        return html_table((*self._HEADERS, "detail"), rows, caption=escape(self._headline()),
                          raw_html_columns=range(len(self._HEADERS) + 1))  # fmt: skip
