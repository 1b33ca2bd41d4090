"""roundtrip(): upgrade, downgrade, upgrade every revision on a scratch database; schema and rows must survive.

Every migration runs through the app's own env.py (schema_tools.runner) on a scratch database of the
source's backend, never on the source. A failing revision does not end the lab: the scratch database is
made again and brought past it, so every revision after it is exercised and reported too.
"""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy.engine import URL

from .config import alembic_config
from .enum_hints import enum_hints
from .progress import ProgressOption, steps
from .roundtrip_compare import row_differences, schema_differences
from .roundtrip_report import FAILED, IRREVERSIBLE, NOOP_DOWNGRADE, NOT_REACHED, OK, RoundtripReport, RoundtripStep
from .roundtrip_scratch import Scratch
from .roundtrip_scripts import is_empty_function
from .roundtrip_snapshot import data_snapshot, schema_snapshot
from .roundtrip_steps import Stairway
from .scratch import scratch_database
from .scripts import load_scripts
from .seeding import seed

__all__ = [
    "FAILED",
    "IRREVERSIBLE",
    "NOOP_DOWNGRADE",
    "NOT_REACHED",
    "OK",
    "RoundtripReport",
    "RoundtripStep",
    "data_snapshot",
    "enum_hints",
    "is_empty_function",
    "roundtrip",
    "row_differences",
    "schema_differences",
    "schema_snapshot",
    "scratch_database",
    "seed",
]


def _progress_line(step: RoundtripStep) -> str:
    line = f"revision {step.revision}: {step.status}"
    return f"{line} ({step.detail})" if step.status != OK and step.detail else line


def roundtrip(
    url: str | URL | None = None,
    *,
    config: Config | None = None,
    seed_rows: bool = True,
    progress: ProgressOption = True,
) -> RoundtripReport:
    """Stairway every revision base → head on a scratch database of `url`'s backend (never `url` itself;
    a temporary SQLite file by default): upgrade it, downgrade it, upgrade it again.

    After each downgrade the schema must equal the one before the upgrade and, with seeded rows, every row
    and value must be back. A failing revision is reported and the lab goes on past it. `progress`: True
    shows a bar on a terminal's stderr or in a live notebook (nowhere else), False none; a callable hears one
    line per revision ("revision X: ok").
    """
    cfg = config if config is not None else alembic_config(quiet=True)
    scripts = load_scripts(cfg)
    revisions = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    scratch = Scratch(cfg, url, scripts)
    labels = enum_hints(cfg, revisions, scratch.backend) if seed_rows else {}
    stairway = Stairway(scratch, seed_rows, labels)
    done: list[RoundtripStep] = []
    try:
        with steps(len(revisions), "roundtrip", progress) as shown:
            for script in revisions:
                shown.start(script.revision)
                step = stairway.step(script)
                done.append(step)
                shown.finish(_progress_line(step))
    finally:
        scratch.close()
    return RoundtripReport(scratch.backend, tuple(done))
