"""What a rule says: a Verdict with a risk class and a severity; a leaf module, so Change can carry verdicts."""

from __future__ import annotations

from dataclasses import dataclass

SAFE, MAY_FAIL, DATA_LOSS = "safe", "may-fail", "data-loss"
RISKS = (SAFE, MAY_FAIL, DATA_LOSS)
INFO, WARNING, ERROR = "info", "warning", "error"
SEVERITIES = (INFO, WARNING, ERROR)


@dataclass(frozen=True)
class Verdict:
    """What one rule says of one change: how bad (risk class and severity), why, the live count, and the fix."""

    rule: str
    risk: str
    severity: str
    message: str
    fix: str = ""
    count: int | None = None
    # For data loss: what is destroyed, in the few words the migration guard's refusal lists.
    loss: str = ""

    @property
    def rank(self) -> tuple[int, int]:
        """Orders verdicts: data loss over may-fail over safe, then errors over warnings."""
        return (RISKS.index(self.risk), SEVERITIES.index(self.severity))

    @property
    def noteworthy(self) -> bool:
        """A finding to list: anything but a safe, informational verdict."""
        return self.risk != SAFE or self.severity != INFO

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "risk": self.risk,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "count": self.count,
        }


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
