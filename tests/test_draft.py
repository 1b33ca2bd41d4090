"""draft(): the same operations autogenerate writes, SQL per dialect, a written draft that works, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.errors import MultipleHeads, NotUpToDate
from schema_tools.script_ops import revision_ops
from schema_tools.sources import copy_metadata, rename_column
from tests.support_project import HEAD, Project
from tests.support_scenarios import SCENARIOS, Scenario, base_database


def op_key(table: str | None, operation) -> tuple:
    name = (
        getattr(operation, "column_name", None)
        or getattr(getattr(operation, "column", None), "name", None)
        or getattr(operation, "index_name", None)
        or getattr(operation, "constraint_name", None)
        or getattr(operation, "table_name", None)
    )
    own_table = getattr(operation, "table_name", None) or getattr(operation, "source_table", None)
    return (type(operation).__name__, table or own_table, name)


def flat(pairs) -> list[tuple]:
    return [op_key(table, operation) for table, operation in pairs]


def upgrade(engine_or_url, revision: str = "head", project: Project | None = None) -> None:
    engine = (
        engine_or_url if isinstance(engine_or_url, sa.Engine) else sa.create_engine(engine_or_url, poolclass=NullPool)
    )
    config = project.config(connection=engine) if project else None
    from schema_tools.settings import alembic_config

    command.upgrade(config or alembic_config(connection=engine), revision)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_draft_has_the_operations_autogenerate_writes(scenario: Scenario, backend: str, new_database, tmp_path) -> None:
    url = base_database(scenario, backend, new_database)
    engine = sa.create_engine(url, poolclass=NullPool)
    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()  # an empty history: the scenario database is "at head"
    desired = scenario.desired()

    drafted = draft(desired, url, scenario.name)
    written = command.revision(
        project.config(connection=engine, target_metadata=desired), message=scenario.name, autogenerate=True
    )
    engine.dispose()
    from_file = revision_ops(written.revision, config=project.config(), dialect=backend)

    assert flat((getattr(o, "table_name", None), o) for o in from_file.operations) == flat(drafted.operations())
    assert {key[0] for key in flat(drafted.operations())}, "every scenario drafts at least one operation"


def test_sql_renders_for_each_dialect_without_a_database(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    desired = copy_metadata()
    desired.tables["bots"].append_column(sa.Column("region", sa.String(20), nullable=True))
    desired.tables["users"].c.full_name.type = sa.String(50)
    drafted = draft(desired, sqlite_url, "region")
    assert "ALTER TABLE bots ADD COLUMN region VARCHAR(20)" in drafted.sql("sqlite")
    assert "CREATE TABLE _alembic_tmp_users" in drafted.sql("sqlite")  # SQLite rebuilds to change a type
    assert "ALTER TABLE users ALTER COLUMN full_name TYPE VARCHAR(50)" in drafted.sql("postgresql")
    assert "ALTER TABLE users MODIFY full_name VARCHAR(50) NULL" in drafted.sql("mysql")


def test_drafting_reads_only(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    path = Path(sqlite_url.database)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    desired = copy_metadata()
    desired.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False))
    drafted = draft(desired, sqlite_url, "timezone")
    assert [f.rule for f in drafted.errors] == ["not-null-without-default"]
    assert drafted.errors[0].count == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_written_draft_upgrades_downgrades_and_leaves_check_clean(backend: str, new_database, tmp_path) -> None:
    url = new_database(backend)
    project = Project(tmp_path)
    engine = sa.create_engine(url, poolclass=NullPool)
    upgrade(engine, project=project)
    desired = copy_metadata()
    bots = desired.tables["bots"]
    bots.append_column(sa.Column("region", sa.String(20), nullable=True))
    sa.Index("ix_bots_region", bots.c.region)
    drafted = draft(desired, url, "bot region")
    path = drafted.write(project.config())
    assert path.parent == project.versions and path.exists()
    text = path.read_text()
    assert "bot region" in text and "ix_bots_region" in text
    command.upgrade(project.config(connection=engine), "head")
    assert not diff(desired, url), "after the upgrade, check is clean"
    command.downgrade(project.config(connection=engine), "-1")
    assert not diff(None, url), "the downgrade brings the database back to the models"
    engine.dispose()


def test_write_refuses_when_the_database_is_behind(sqlite_url: sa.URL, tmp_path) -> None:
    project = Project(tmp_path)
    upgrade(sqlite_url, "2aefc3d92de3", project=project)
    drafted = draft(copy_metadata(), sqlite_url, "too early")
    before = set(project.versions.glob("*.py"))
    with pytest.raises(NotUpToDate, match="Target database is not up to date.*dd16cd167d19"):
        drafted.write(project.config())
    assert set(project.versions.glob("*.py")) == before


def test_write_refuses_when_there_are_two_heads(sqlite_url: sa.URL, tmp_path) -> None:
    project = Project(tmp_path)
    upgrade(sqlite_url, project=project)
    project.add_revision("e1e1e1e1e1e1", "2aefc3d92de3", "pass")
    desired = copy_metadata()
    desired.tables["bots"].append_column(sa.Column("region", sa.String(20)))
    with pytest.raises(MultipleHeads, match="alembic merge") as error:
        draft(desired, sqlite_url, "region").write(project.config())
    assert HEAD in str(error.value) and "e1e1e1e1e1e1" in str(error.value)


def test_a_rename_rewritten_with_apply_rename_keeps_every_value(backend: str, new_database, tmp_path) -> None:
    url = new_database(backend)
    project = Project(tmp_path)
    engine = sa.create_engine(url, poolclass=NullPool)
    upgrade(engine, project=project)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE users SET full_name = 'Zoë Ådmin' WHERE username = 'admin'"))
    desired = rename_column(copy_metadata(), "users", "full_name", "display_name")
    drafted = draft(desired, url, "rename full_name")
    assert any(f.rule == "rename-suspicion" and "display_name" in f.hint for f in drafted.findings)
    renamed = drafted.apply_rename("users", "full_name", "display_name")
    assert not renamed.errors
    assert "new_column_name='display_name'" in renamed.upgrade_code
    assert "new_column_name='full_name'" in renamed.downgrade_code
    renamed.write(project.config())

    def names() -> dict[str, str | None]:
        column = (
            "display_name"
            if "display_name" in {c["name"] for c in sa.inspect(engine).get_columns("users")}
            else "full_name"
        )
        with engine.connect() as connection:
            return dict(connection.execute(sa.text(f"SELECT username, {column} FROM users")).all())

    before = names()
    command.upgrade(project.config(connection=engine), "head")
    assert names() == before and before["admin"] == "Zoë Ådmin"
    command.downgrade(project.config(connection=engine), "-1")
    assert names() == before
    engine.dispose()
