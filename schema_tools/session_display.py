"""A DiffSession and its last run in Jupyter: tables compared against reused, and the time against a full compare.

Seconds sit in `<span class="st-seconds">` so a notebook check can mask them; everything else is deterministic.
"""

from __future__ import annotations

from typing import Protocol

from .display import STYLE, badge, escape, shorten


class DiffRun(Protocol):
    """What is shown of schema_tools.session.DiffRun (a protocol: the session imports this module)."""

    @property
    def full(self) -> bool: ...
    @property
    def compared(self) -> tuple[str, ...]: ...
    @property
    def reused(self) -> int: ...
    @property
    def seconds(self) -> float: ...
    @property
    def baseline(self) -> float | None: ...


def _seconds(value: float) -> str:
    return f'<span class="st-seconds">{value:.3f} s</span>'


def _speed(run: DiffRun) -> str:
    """The run's time, and against the session's last full compare when it narrowed."""
    if run.full:
        return f"{_seconds(run.seconds)} (a full compare)"
    if run.baseline is None:
        return _seconds(run.seconds)
    times = run.baseline / run.seconds if run.seconds > 0 else 0.0
    factor = f'<span class="st-seconds">{times:.0f}x</span>' if times >= 1 else "no"
    return f"{_seconds(run.seconds)} against {_seconds(run.baseline)} for a full compare: {factor} faster"


def _names(tables: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(escape(name) for name in tables[:limit])
    more = f" and {len(tables) - limit} more" if len(tables) > limit else ""
    return f"{shown}{more}" if tables else "none"


def diff_run_html(run: DiffRun) -> str:
    """One run as a small table: what kind of run, which tables were compared, how many reused, how long."""
    kind = badge("may-fail", "full compare") if run.full else badge("safe", "narrowed")
    rows = (
        ("run", kind),
        (f"compared ({len(run.compared)})", _names(run.compared)),
        ("reused", f"{run.reused} table{'s' * (run.reused != 1)} from the previous result"),
        ("time", _speed(run)),
    )
    cells = "".join(f"<tr><th>{escape(name)}</th><td>{value}</td></tr>" for name, value in rows)
    return f'{STYLE}<table class="st-table"><tbody>{cells}</tbody></table>'


def session_html(target: str, run: DiffRun | None) -> str:
    """The session's database and its last run (or that it has not run yet)."""
    caption = f'<div class="st-caption">DiffSession on <b>{escape(shorten(target, 120))}</b></div>'
    if run is None:
        return f"{STYLE}{caption}<div class='st-caption'>not run yet: call .diff()</div>"
    return caption + diff_run_html(run)
