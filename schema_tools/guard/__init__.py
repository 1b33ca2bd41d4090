"""The data-loss guard: what each pending revision destroys, read from its operations or measured by running it.

A revision whose upgrade() (or downgrade()) only calls Alembic operations with fixed arguments is read
exactly: its body is run against a recorder, offline, with no env.py and no database. Any other revision
(raw SQL through op.execute, a look at the connection, a branch on offline mode, a helper function) is
judged by its effect: a scratch database of the same backend is built at its parent revision through the
app's own env.py, seeded with a row per table, the revision runs there, and the schemas and row counts
before and after are compared. A revision that can be judged neither way is unjudged, and the guard
refuses it like a drop: fail closed.
"""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from ..connect import parse_url, sync_url
from ..revisions import Step, lookup
from .measuring import measure
from .reading import losses_of_operations, needs_effect, read_operations, read_verdict, why_dynamic
from .states import TableState, losses_between, schema_state
from .verdict import EFFECT, OPERATIONS, UNJUDGED, Verdict

__all__ = [
    "EFFECT",
    "OPERATIONS",
    "UNJUDGED",
    "TableState",
    "Verdict",
    "judge",
    "losses_between",
    "losses_of_operations",
    "measure",
    "needs_effect",
    "read_operations",
    "read_verdict",
    "schema_state",
    "why_dynamic",
]


def judge(
    config: Config,
    url: str | URL,
    start: tuple[str, ...],
    steps: list[Step],
    direction: str,
    final: tuple[str, ...],
    *,
    clone: bool = True,
) -> tuple[Verdict, ...]:
    """A verdict for every step of a planned migration of `url` (now at `start`); scratch work only when needed,
    on a copy of `url`'s schema (`clone`), else on a database the history builds at `start`."""
    scripts = ScriptDirectory.from_config(config)
    dialect = sync_url(parse_url(url)).get_backend_name()
    verdicts = {
        step.revision: read_verdict(lookup(scripts, step.revision), direction, dialect, config) for step in steps
    }
    if any(verdict.judged_by == UNJUDGED for verdict in verdicts.values()):
        source = sync_url(parse_url(url)) if clone else None
        measured = measure(config, url, start, steps, direction, final, clone_from=source)
        for step in steps:
            read = verdicts[step.revision]
            if read.judged_by != UNJUDGED:
                continue
            found = measured.get(step.revision)
            if found is None:
                continue
            reason = f"{read.reason}; {found.reason}"
            verdicts[step.revision] = Verdict(
                step.revision, step.message, direction, found.judged_by, found.losses, reason
            )
    return tuple(verdicts[step.revision] for step in steps)
