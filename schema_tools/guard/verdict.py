"""The guard's verdict on one revision: how it was judged, and what it destroys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPERATIONS, EFFECT, UNJUDGED = "operations", "effect", "unjudged"


@dataclass(frozen=True)
class Verdict:
    """How one revision was judged, and what it destroys: dropped tables or columns, narrowed types, rows."""

    revision: str
    message: str
    direction: str
    judged_by: str
    losses: tuple[str, ...] = ()
    reason: str = ""
    operations: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def refused(self) -> bool:
        """True when the guard needs --allow-data-loss: something is destroyed, or nobody could tell."""
        return self.judged_by == UNJUDGED or bool(self.losses)

    @property
    def how(self) -> str:
        """How this revision was judged, in words, for lint output and refusals."""
        if self.judged_by == OPERATIONS:
            return "judged by its operations, read offline"
        if self.judged_by == EFFECT:
            return f"judged by its effect on a scratch database ({self.reason})"
        return f"not judged: {self.reason}; treated as data loss"

    def summary(self) -> str:
        """One short phrase: the first losses, or why it could not be judged."""
        if self.judged_by == UNJUDGED:
            return f"{self.revision}: cannot be judged ({self.reason})"
        shown = "; ".join(self.losses[:3]) + ("; ..." if len(self.losses) > 3 else "")
        return f"{self.revision}: {shown}"


def _line(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = " ".join(str(getattr(error, "orig", None) or error).split())
    return text[:200] if text else type(error).__name__
