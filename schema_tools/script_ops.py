"""The operations a revision script performs, read by running its upgrade() offline and recording each op."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alembic.config import Config
from alembic.operations import ops
from alembic.script import ScriptDirectory

from .dialects import STRICTEST
from .script_reading import read_operations
from .settings import alembic_config


@dataclass(frozen=True)
class RevisionOps:
    """A revision and the operations its upgrade() invokes, in order."""

    revision: str
    message: str
    operations: tuple[Any, ...]
    # Set when the script raised while being read offline (its operations are then unknown).
    error: str | None = None

    @property
    def upgrade_ops(self) -> ops.UpgradeOps:
        return ops.UpgradeOps(ops=list(self.operations))


def revision_ops(
    revision: str, *, config: Config | None = None, dialect: str = STRICTEST.name, downgrade: bool = False
) -> RevisionOps:
    """Record what `revision`'s upgrade() (or downgrade()) does, offline for `dialect`: no database is touched."""
    cfg = config if config is not None else alembic_config()
    script = ScriptDirectory.from_config(cfg).get_revision(revision)
    error = None
    try:
        recorded = read_operations(script, "downgrade" if downgrade else "upgrade", dialect, cfg)
    except Exception as raised:  # the script's own code failed offline
        recorded, error = (), f"{type(raised).__name__}: {raised}"
    message = (script.doc or "").strip().splitlines()[0] if script.doc else ""
    return RevisionOps(script.revision, message, tuple(recorded), error)


def all_revisions(config: Config | None = None) -> list[str]:
    """Every revision id from base to head, oldest first."""
    cfg = config if config is not None else alembic_config()
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads"))
    return [r.revision for r in reversed(revisions)]
