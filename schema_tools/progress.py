"""A progress bar for long runs: rich's on a terminal, an in-place HTML bar in a live notebook, else nothing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

from .display import escape, ipython_shell, show_updatable

# What a caller passes: True shows a bar where a person watches (a terminal, a live notebook), False or None
# shows nothing, a callable hears one line per step (and a terminal shows the bar with the lines above it).
ProgressOption: TypeAlias = "bool | Callable[[str], None] | None"


class Steps:
    """What the loop reports: the step it starts, and the line for the step it finished."""

    def __init__(self, total: int, label: str, lines: Callable[[str], None] | None) -> None:
        self.total, self.label, self.done = total, label, 0
        self._lines = lines

    def start(self, name: str) -> None:
        self._show(name)

    def finish(self, line: str) -> None:
        self.done += 1
        if self._lines is not None:
            self._lines(line)
        self._show("")

    def _show(self, name: str) -> None:
        """Drawn by the subclasses."""


class _TerminalSteps(Steps):
    def __init__(self, total: int, label: str, lines: Callable[[str], None] | None, bar: Any) -> None:
        super().__init__(total, label, lines)
        self._bar = bar
        self._task = bar.add_task(label, total=total)

    def _show(self, name: str) -> None:
        description = f"{self.label} {name}".strip()
        self._bar.update(self._task, completed=self.done, description=description)


class _NotebookSteps(Steps):
    def __init__(self, total: int, label: str) -> None:
        super().__init__(total, label, None)
        self._handle = show_updatable(self.bundle(""))

    def bundle(self, name: str) -> dict[str, str]:
        text = f"{self.label}: {self.done}/{self.total} {name}".strip()
        bar = (
            f'<div style="font-family:system-ui,sans-serif;font-size:12px;white-space:nowrap">'
            f'<progress value="{self.done}" max="{max(self.total, 1)}" style="width:240px;vertical-align:middle">'
            f"</progress> {escape(text)}</div>"
        )
        return {"text/html": bar, "text/plain": text}

    def _show(self, name: str) -> None:
        self._handle.update(self.bundle(name), raw=True)

    def close(self) -> None:
        """Empty the output: nothing of the bar stays in the notebook."""
        self._handle.update({"text/plain": ""}, raw=True)


def stderr_terminal() -> bool:
    """Whether stderr is a person's terminal (never under pytest's capture, CI logs or a pipe)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def steps(total: int, label: str, progress: ProgressOption = True) -> Iterator[Steps]:
    """Report `total` steps as `progress` asks: a bar on a terminal's stderr (rich, gone when done), an HTML
    bar in a live Jupyter kernel (emptied when done, so stored outputs stay the same), lines to a callable."""
    lines = progress if callable(progress) else None
    if not progress or total <= 0:
        yield Steps(total, label, lines)
    elif stderr_terminal():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            yield _TerminalSteps(total, label, lines, bar)
    elif lines is None and ipython_shell() is not None and not os.environ.get("SOURCE_DATE_EPOCH"):
        # SOURCE_DATE_EPOCH asks for reproducible output (make notebooks, nbval): no live bar, whose
        # update_display_data messages a notebook checker that ignores them would store as a stray output.
        shown = _NotebookSteps(total, label)
        try:
            yield shown
        finally:
            shown.close()
    else:
        yield Steps(total, label, lines)
