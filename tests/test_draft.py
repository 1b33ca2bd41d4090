"""draft(): the same operations autogenerate writes, SQL per dialect, a written draft that works, refusals."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import ops
from sqlalchemy.pool import NullPool

from schema_tools.changes import type_text
from schema_tools.connect import read_only_connection
from schema_tools.diff import diff
from schema_tools.draft import DIALECTS, draft
from schema_tools.errors import MultipleHeads, NotUpToDate
from schema_tools.lint import LintContext, lint_ops
from schema_tools.script_ops import revision_ops
from schema_tools.sources import copy_metadata, rename_column
from tests.support_project import HEAD, Project, upgrade_database
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
    for dialect in DIALECTS:  # awkward names and every change kind render offline for each dialect
        assert isinstance(drafted.sql(dialect), str)


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


# -- SQL for every dialect from a draft made on any backend ----------------------------------------------

TMP_TABLE = re.compile(r"CREATE TABLE _alembic_tmp_(\w+)")


def realistic_models() -> sa.MetaData:
    """One change set of each common kind, on the repository's models at head."""
    models = copy_metadata()
    models.tables["bots"].append_column(sa.Column("region", sa.String(20), nullable=True, index=True))
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False, server_default="UTC"))
    models.tables["strategies"].c.version.type = sa.String(40)  # SQLite must rebuild strategies for this one
    sa.Table(
        "bot_tags",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bot_id", sa.Integer, sa.ForeignKey("bots.id"), nullable=False),
        sa.Column("tag", sa.String(30), nullable=False),
    )
    audit_logs = models.tables["audit_logs"]
    audit_logs.indexes.discard(next(index for index in audit_logs.indexes if index.name == "ix_audit_logs_path"))
    return models


def run_script(url: sa.URL, sql: str) -> None:
    """Run a rendered script statement by statement, as a person pasting it into a console would."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in sql.split(";\n\n"):
                if statement.strip():
                    connection.exec_driver_sql(statement.strip().rstrip(";"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("target", DIALECTS)
def test_sql_renders_every_dialect_from_a_draft_made_on_each_backend(backend: str, target: str, new_database) -> None:
    source_url = new_database(backend)
    upgrade_database(source_url)
    models = realistic_models()
    sql = draft(models, source_url, "realistic").sql(target)

    assert sql.count("CREATE INDEX ix_bots_region ON bots (region)") == 1
    assert "ADD COLUMN region VARCHAR(20)" in sql
    assert re.search(r"ADD COLUMN timezone VARCHAR\(40\) (NOT NULL DEFAULT 'UTC'|DEFAULT 'UTC' NOT NULL)", sql)
    assert "CREATE TABLE bot_tags" in sql and "FOREIGN KEY(bot_id) REFERENCES bots (id)" in sql
    assert "DROP INDEX ix_audit_logs_path" in sql
    assert re.search(r"version (TYPE )?VARCHAR\(40\)", sql)
    # Nothing spelled only for the source backend reaches another one.
    assert "::" not in sql and "nextval" not in sql and "current_timestamp()" not in sql
    # SQLite rebuilds (move and copy) only the table whose column type changes; the others use ALTER.
    assert set(TMP_TABLE.findall(sql)) == ({"strategies"} if target == "sqlite" else set())

    # The script runs on a database of the target backend at head and brings it to the models.
    target_url = new_database(target)
    upgrade_database(target_url)
    run_script(target_url, sql)
    assert not diff(models, target_url), f"{target} after the SQL rendered from a {backend} draft"


def test_the_draft_notebook_runs_on_every_backend(backend: str, new_database) -> None:
    """What notebooks/03_draft_revision.ipynb does, cell by cell, against a database at head."""
    url = new_database(backend)
    upgrade_database(url)
    models = rename_column(copy_metadata(), "users", "full_name", "display_name")
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False))
    first = draft(models, url, "users display name and timezone")
    assert {"rename-suspicion", "not-null-without-default"} <= {f.rule for f in first.findings}
    assert "rename-suspicion" in first._repr_html_()

    models.tables["users"].c.timezone.server_default = sa.DefaultClause("UTC")
    fixed = draft(models, url, "users display name and timezone")
    fixed = fixed.apply_rename("users", "full_name", "display_name")
    assert not fixed.errors and "users.full_name -> users.display_name" in str(fixed)
    for dialect in DIALECTS:
        sql = fixed.sql(dialect)
        assert "display_name" in sql and "DEFAULT 'UTC'" in sql, dialect
        assert "DROP COLUMN" not in sql, "a rename keeps the column"
        assert f"SQL for {dialect}" in fixed.sql_html(dialect)._repr_html_()

    sqlite_url = new_database("sqlite")  # the SQLite script (a batch rebuild of users) works and keeps the rows
    upgrade_database(sqlite_url)
    count_users = sa.text("SELECT count(*) FROM users")
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    with engine.connect() as connection:
        before = connection.execute(count_users).scalar_one()
    run_script(sqlite_url, fixed.sql("sqlite"))
    with engine.connect() as connection:
        assert connection.execute(count_users).scalar_one() == before > 0
    engine.dispose()
    assert not diff(models, sqlite_url)


def test_lint_shows_and_classifies_type_classes_as_instances(db_url: sa.URL) -> None:
    """A revision may pass a type class (op.alter_column(..., type_=sa.TEXT)); lint reads it as TEXT."""
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20))")
        connection.exec_driver_sql("INSERT INTO items VALUES (1, 'a'), (2, 'longer-code')")
    engine.dispose()

    def lint(*operations: ops.AlterColumnOp, dialect: str | None = None) -> dict[str, str]:
        with read_only_connection(db_url) as connection:
            context = LintContext(dialect or connection.dialect.name, connection)
            found = lint_ops(ops.UpgradeOps(ops=[ops.ModifyTableOps("items", list(operations))]), context)
        return {f.rule: f.message for f in found}

    narrowing = lint(ops.AlterColumnOp("items", "code", existing_type=sa.TEXT, modify_type=sa.String(5)))
    assert narrowing["narrowing-type"].startswith("TEXT -> VARCHAR(5) on items.code narrows unbounded text")
    assert narrowing["narrowing-type"].endswith("1 value would not fit")
    assert "narrowing-type" in lint(
        ops.AlterColumnOp("items", "id", existing_type=sa.Integer, modify_type=sa.SmallInteger)
    )

    widening = ops.AlterColumnOp("items", "code", existing_type=sa.String(20), modify_type=sa.TEXT)
    assert lint(widening, dialect="postgresql") == {}, "VARCHAR(20) -> TEXT is a catalog-only change"
    rewrite = lint(
        ops.AlterColumnOp("items", "id", existing_type=sa.Integer, modify_type=sa.TEXT), dialect="postgresql"
    )
    assert rewrite["squawk:changing-column-type"].startswith("INTEGER -> TEXT on items: ")
    unknown = lint(ops.AlterColumnOp("items", "code", modify_type=sa.TEXT), dialect="postgresql")
    assert unknown["squawk:changing-column-type"].startswith("? -> TEXT on items: "), "no existing_type: shown as ?"
    assert not any("<class" in message for message in {**narrowing, **rewrite}.values())
    assert type_text(sa.TEXT, None) == "TEXT" and type_text(sa.String, None) == "VARCHAR"
