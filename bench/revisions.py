"""A longer migration history for the roundtrip rows: the project's revisions plus R more on a scratch copy."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from schema_tools.scratch import scratch_project

FIRST = """
    op.create_table("bench_notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.Text))
"""
NEXT = """
    with op.batch_alter_table("bench_notes") as batch:
        batch.add_column(sa.Column("c{i}", sa.String(20), nullable=True))
"""
NEXT_DOWN = """
    with op.batch_alter_table("bench_notes") as batch:
        batch.drop_column("c{i}")
"""


def _script(revision: str, down_revision: str, upgrade: str, downgrade: str) -> str:
    return (
        f'"""bench revision {revision}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {revision!r}\ndown_revision = {down_revision!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:{upgrade}\n\ndef downgrade() -> None:{downgrade}"
    )


def longer_history(extra: int) -> Config:
    """A scratch project whose history is the real one followed by `extra` small revisions."""
    config = scratch_project()
    script = ScriptDirectory.from_config(config)
    versions = Path(script.versions)
    parent = script.get_current_head()
    for i in range(extra):
        revision = f"bench{i:04d}"
        if i == 0:
            body = _script(revision, parent, FIRST, '\n    op.drop_table("bench_notes")\n')
        else:
            body = _script(revision, parent, NEXT.format(i=i), NEXT_DOWN.format(i=i))
        (versions / f"{revision}_bench.py").write_text(body)
        parent = revision
    return config
