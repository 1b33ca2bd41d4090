"""MigrationReport: what a guarded upgrade or downgrade did, and on failure where it stopped and what it left."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .backup import Backup
from .display import escape, html_table, text_table
from .guard import Verdict
from .revisions import Step


@dataclass(frozen=True)
class MigrationReport:
    """What a guarded upgrade or downgrade did, read from the version table; on failure, where it stopped."""

    direction: str
    database: str
    backend: str
    start: tuple[str, ...]
    steps: tuple[Step, ...]
    backup: Backup | None
    ok: bool = True
    failed_revision: str | None = None
    error: str | None = None
    at: tuple[str, ...] = ()
    left_as: str = ""
    persisted: tuple[str, ...] = field(default=(), repr=False)
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)

    def lines(self) -> list[str]:
        """The report's summary lines: direction and count, the backup, and on failure where it stopped."""
        verb = "applied" if self.direction == "upgrade" else "reverted"
        out = [f"{self.direction} of {self.database}: {len(self.steps)} revision(s) {verb}"]
        if self.backup is not None:
            out.append(f"backup: {backup_label(self.backup)}")
        if not self.ok:
            out.append(f"FAILED in revision {self.failed_revision}: {self.error}")
            out.append(f"database left: {self.left_as}")
        return out

    def __str__(self) -> str:
        text = "\n".join(self.lines())
        if self.steps:
            text += "\n" + text_table(("revision", "message"), [(s.revision, s.message) for s in self.steps])
        if not self.ok and self.persisted:
            text += "\nchanges the failed revision left in the database:\n" + "\n".join(
                f"  {line}" for line in self.persisted
            )
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        caption = "<br>".join(escape(line) for line in self.lines())
        return html_table(("revision", "message"), [(s.revision, s.message) for s in self.steps], caption=caption)


def backup_label(made: Backup) -> str:
    """The backup as the report shows it: its folder and file name, and its size."""
    path = Path(made.path)
    where = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    return f"{where} ({made.bytes} bytes)"
