"""session.panel(): a live view of a DiffSession's latest diff, the tables it compared or reused, and its time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

import ipywidgets
from sqlalchemy.engine import Engine

from .changes import RISKS, Change
from .connect import mask_url
from .diff import SchemaDiff
from .display import STYLE, badge, escape, html_table, shorten
from .session_display import DiffRun as Run

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MAX_ROWS = 40  # changes listed; the rest are counted


class Session(Protocol):
    """The DiffSession as the panel uses it."""

    on_diff: list[Callable[[SchemaDiff], object]]

    @property
    def last_run(self) -> Run | None: ...
    @property
    def engine(self) -> Engine: ...
    def diff(self) -> SchemaDiff: ...


@dataclass(frozen=True)
class PanelState:
    """What the panel shows: the latest diff's changes and what its run compared or reused.

    `changes` is None until the panel has seen a diff (it listens from when it was opened). The seconds
    stay out of equality and repr: only the live widget shows them.
    """

    target: str
    diffs: int = 0
    changes: tuple[Change, ...] | None = None
    full: bool | None = None
    compared: tuple[str, ...] = ()
    reused: int = 0
    seconds: float | None = field(default=None, compare=False, repr=False)
    baseline: float | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, target: str, run: Run | None, result: SchemaDiff | None = None, diffs: int = 0) -> PanelState:
        """The state after a diff (`result`) whose run is `run`; the run alone when no diff was seen yet."""
        if run is None:
            return cls(target, diffs)
        changes = tuple(result.real()) if result is not None else None
        return cls(target, diffs, changes, run.full, run.compared, run.reused, run.seconds, run.baseline)

    @property
    def summary(self) -> str:
        """One stable line: the text/plain form of the panel."""
        if self.full is None:
            return f"DiffSession panel on {self.target}: no diff yet"
        found = "changes not seen yet" if self.changes is None else _count(len(self.changes), "change")
        how = "full compare" if self.full else f"compared {len(self.compared)}, reused {self.reused}"
        return f"DiffSession panel on {self.target}: {found} ({how})"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _names(tables: tuple[str, ...], limit: int = 20) -> str:
    if not tables:
        return "none"
    more = f" and {len(tables) - limit} more" if len(tables) > limit else ""
    return ", ".join(escape(name) for name in tables[:limit]) + more


def _time(state: PanelState) -> str:
    """The run's seconds against the last full compare's (live widget only: they change from run to run)."""
    if state.seconds is None:
        return ""
    if state.full or state.baseline is None:
        return f"{state.seconds:.3f} s" + (" (a full compare)" if state.full else "")
    faster = state.baseline / state.seconds if state.seconds > 0 else 0.0
    return f"{state.seconds:.3f} s against {state.baseline:.3f} s for a full compare ({faster:.0f}x faster)"


def _changes_html(changes: tuple[Change, ...] | None) -> str:
    if changes is None:
        return '<div class="st-caption">The changes show from the next diff: run session.diff() or Re-diff.</div>'
    if not changes:
        return '<div class="st-caption">The models and the database agree.</div>'
    rows = [
        (badge(c.risk), escape(c.kind), escape(c.table), escape(c.name), escape(_detail(c))) for c in changes[:MAX_ROWS]
    ]
    more = f" (the first {MAX_ROWS})" if len(changes) > MAX_ROWS else ""
    headers = ("risk", "kind", "table", "name", "detail")
    return html_table(headers, rows, caption=f"Changes{more}", raw_html_columns=range(5))


def _detail(change: Change) -> str:
    if change.before is not None or change.after is not None:
        return f"{change.before or ''} -> {change.after or ''}"
    return shorten(change.reason, 80) if change.reason else ""


def panel_html(state: PanelState, *, times: bool = False) -> str:
    """The panel as HTML: the same for the live widget and a stored notebook, but for the times (`times`)."""
    caption = f'<div class="st-caption">DiffSession on <b>{escape(shorten(state.target, 120))}</b>'
    caption += f" · diff {state.diffs}</div>" if state.diffs else "</div>"
    if state.full is None:
        return f"{STYLE}{caption}<div class='st-caption'>No diff yet: run session.diff() or press Re-diff.</div>"
    risks = Counter(change.risk for change in state.changes or ())
    found = "not seen yet" if state.changes is None else _count(len(state.changes), "change")
    found += "".join(f" {badge(risk, f'{risks[risk]} {risk}')}" for risk in RISKS if risks.get(risk))
    rows = [
        ("changes", found),
        ("run", badge("may-fail", "full compare") if state.full else badge("safe", "narrowed")),
        (f"compared ({len(state.compared)})", _names(state.compared)),
        ("reused", f"{_count(state.reused, 'table')} from the previous result"),
    ]
    if times and state.seconds is not None:
        rows.append(("time", escape(_time(state))))
    cells = "".join(f"<tr><th>{escape(name)}</th><td>{value}</td></tr>" for name, value in rows)
    return f'{STYLE}{caption}<table class="st-table"><tbody>{cells}</tbody></table>{_changes_html(state.changes)}'


class SessionPanel(ipywidgets.VBox):  # type: ignore[misc]
    """The session's latest diff, redrawn after every session.diff() (the session calls `update`) or Re-diff.

    Stored in a notebook, or where widgets don't run, its output is the same panel as static HTML without times.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.target = str(mask_url(session.engine.url))
        self.state = PanelState.of(self.target, session.last_run)
        self.view = ipywidgets.HTML(panel_html(self.state, times=True))
        self.button = ipywidgets.Button(description="Re-diff", icon="refresh", tooltip="run session.diff() again")
        self.button.on_click(lambda _button: session.diff())
        session.on_diff.append(self.update)
        super().__init__([self.button, self.view], layout=ipywidgets.Layout(max_width="100%"))

    def update(self, result: SchemaDiff) -> None:
        """Show a diff the session has just made (its run is the session's last_run)."""
        self.state = PanelState.of(self.target, self.session.last_run, result, self.state.diffs + 1)
        self.view.value = panel_html(self.state, times=True)

    def close(self) -> None:
        """Stop listening to the session, and close the widget."""
        if self.update in self.session.on_diff:
            self.session.on_diff.remove(self.update)
        super().close()

    def __repr__(self) -> str:
        return f"<SessionPanel {self.state.summary}>"

    def _repr_html_(self) -> str:
        return panel_html(self.state)

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # The static panel beside the widget view: a live JupyterLab shows the view, nbval and a code host the HTML.
        static: dict[str, Any] = {"text/html": panel_html(self.state), "text/plain": self.state.summary}
        data = super()._repr_mimebundle_(**kwargs)
        data = data[0] if isinstance(data, tuple) else data
        view = data.get(WIDGET_VIEW) if isinstance(data, dict) else None
        return {**static, WIDGET_VIEW: view} if view is not None else static
