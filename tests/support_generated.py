"""Models with CHECKs, computed and identity columns in two stages, and a scratch Alembic project that uses them."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support_project import Project

# Written into the scratch project as chk_models.py: CHK_STAGE=before|after picks the models.
MODELS = textwrap.dedent(
    '''
    """Two stages of one schema: `after` changes a CHECK, drops one, adds one, recomputes y, numbers tickets."""

    import os

    import sqlalchemy as sa


    def build(stage):
        after = stage == "after"
        metadata = sa.MetaData()
        checks = [sa.CheckConstraint("x >= 0" if after else "x > 0", name="ck_gauges_x")]
        checks.append(
            sa.CheckConstraint("s IN ('a', 'b')", name="ck_gauges_s")
            if after
            else sa.CheckConstraint("x < 1000", name="ck_gauges_cap")
        )
        sa.Table(
            "gauges",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("x", sa.Integer),
            sa.Column("s", sa.String(10)),
            sa.Column("y", sa.Integer, sa.Computed("x * 3" if after else "x * 2")),
            *checks,
        )
        ticket_id = (
            sa.Column("id", sa.Integer, sa.Identity(), primary_key=True)
            if after
            else sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)
        )
        sa.Table("tickets", metadata, ticket_id, sa.Column("label", sa.String(20)))
        return metadata


    metadata = build(os.environ.get("CHK_STAGE", "before"))
    '''
)

ENV_PY = textwrap.dedent(
    '''
    """The scratch project's env.py: schema-tools' run_migrations over chk_models."""

    from alembic import context

    import chk_models
    from schema_tools.environment import run_migrations

    run_migrations(context, chk_models.metadata)
    '''
)


def models(stage: str) -> sa.MetaData:
    """The MODELS of `stage`, built in this process."""
    module = types.ModuleType("chk_models")
    exec(compile(MODELS, "chk_models.py", "exec"), module.__dict__)  # noqa: S102  (our own test source)
    metadata: sa.MetaData = module.build(stage)
    return metadata


def scratch_project(root: Path, url: sa.URL) -> Project:
    """A Project whose env.py migrates chk_models, with an empty history, pointed at `url`."""
    project = Project(root)
    for path in project.versions.glob("*.py"):
        path.unlink()
    (project.root / "chk_models.py").write_text(MODELS)
    (project.root / "alembic" / "env.py").write_text(ENV_PY)
    project.env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    return project


def create(url: sa.URL, metadata: sa.MetaData, *rows: tuple[str, dict[str, object]]) -> None:
    """create_all, then insert (table, values) rows."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            for table, values in rows:
                connection.execute(metadata.tables[table].insert().values(**values))
    finally:
        engine.dispose()
