"""The operations a revision script performs, read by running its upgrade() offline and recording each op."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.operations import ops
from alembic.operations.base import AbstractOperations
from alembic.script import ScriptDirectory

from .settings import alembic_config


@dataclass(frozen=True)
class RevisionOps:
    """A revision and the operations its upgrade() invokes, in order."""

    revision: str
    message: str
    operations: tuple[Any, ...]
    # Set when the script raised while being read offline: `operations` holds what it did until then.
    error: str | None = None

    @property
    def upgrade_ops(self) -> ops.UpgradeOps:
        return ops.UpgradeOps(ops=list(self.operations))


@contextmanager
def _recording() -> Iterator[list[Any]]:
    """While active, every op.* call (batch ones too) is recorded instead of executed."""
    recorded: list[Any] = []
    original = AbstractOperations.invoke

    def record(self: AbstractOperations, operation: Any) -> None:
        recorded.append(operation)

    AbstractOperations.invoke = record  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        AbstractOperations.invoke = original  # type: ignore[method-assign]


def revision_ops(
    revision: str, *, config: Any = None, dialect: str = "postgresql", downgrade: bool = False
) -> RevisionOps:
    """Record what `revision`'s upgrade() (or downgrade()) does, offline for `dialect`: no database is touched."""
    cfg = config if config is not None else alembic_config()
    script = ScriptDirectory.from_config(cfg).get_revision(revision)
    down = script.down_revision
    start = down if isinstance(down, str) else (down[0] if down else "base")
    cfg.attributes["url"] = f"{dialect}://"
    cfg.output_buffer = io.StringIO()
    error = None
    try:
        with _recording() as recorded:
            try:
                if downgrade:
                    command.downgrade(cfg, f"{script.revision}:{start}", sql=True)
                else:
                    command.upgrade(cfg, f"{start}:{script.revision}", sql=True)
            except Exception as raised:  # the script's own code failed offline; keep what it did so far
                error = f"{type(raised).__name__}: {raised}"
    finally:
        cfg.attributes.pop("url", None)
    message = (script.doc or "").strip().splitlines()[0] if script.doc else ""
    return RevisionOps(script.revision, message, tuple(recorded), error)


def all_revisions(config: Any = None) -> list[str]:
    """Every revision id from base to head, oldest first."""
    cfg = config if config is not None else alembic_config()
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads"))
    return [r.revision for r in reversed(revisions)]
