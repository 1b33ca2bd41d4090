"""Offline `upgrade --sql` renders without connecting, and says exactly what an online upgrade runs."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import ops
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from schema_tools.draft import DIALECTS, Draft, draft
from schema_tools.settings import alembic_config
from schema_tools.sources import copy_metadata
from schema_tools.sqltext import portable_default, stable_order
from tests.support_project import HEAD, Project

DDL = re.compile(r"^(CREATE|ALTER|DROP)\b", re.IGNORECASE)
DML = re.compile(r"^(INSERT INTO|UPDATE|DELETE FROM)\s+(\S+)", re.IGNORECASE)


def normalize(statement: str) -> str:
    return " ".join(statement.replace("\n", " ").split()).rstrip(";").strip()


def offline_statements(
    url: sa.URL | str, revision_range: str, *, downgrade: bool = False, project: Project | None = None
) -> list[str]:
    buffer = io.StringIO()
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    config = project.config(url=rendered) if project else alembic_config(url=rendered)
    config.output_buffer = buffer
    (command.downgrade if downgrade else command.upgrade)(config, revision_range, sql=True)
    return split_script(buffer.getvalue())


def split_script(sql: str) -> list[str]:
    """The statements of a SQL script, each on one line, without comments."""
    chunks = re.split(r";\s*\n", sql)
    statements = []
    for chunk in chunks:
        lines = [line for line in chunk.splitlines() if line.strip() and not line.startswith("--")]
        if lines:
            statements.append(normalize("\n".join(lines)))
    return statements


def online_statements(url: sa.URL, target: str, *, downgrade: bool = False) -> list[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(normalize(statement))

    try:
        (command.downgrade if downgrade else command.upgrade)(alembic_config(connection=engine), target)
    finally:
        engine.dispose()
    return seen


def ddl(statements: list[str]) -> list[str]:
    """The DDL in order, but for what batch mode copies from a set (constraint clauses, index runs)."""
    kept = [s for s in statements if DDL.match(s) and "alembic_version" not in s and "schema_tools_" not in s]
    return stable_order(kept)


def dml_targets(statements: list[str]) -> list[tuple[str, str]]:
    """(verb, table) of each data statement; a run of one (offline: a row each, online: executemany) counts once."""
    targets: list[tuple[str, str]] = []
    for statement in statements:
        match = DML.match(statement)
        if match and "alembic_version" not in statement and "schema_tools_" not in statement:
            target = (match.group(1).upper(), match.group(2).strip('"`'))
            if not targets or targets[-1] != target:
                targets.append(target)
    return targets


def test_offline_sql_is_rendered_without_creating_the_database(tmp_path) -> None:
    path = tmp_path / "never.db"
    statements = offline_statements(sa.make_url(f"sqlite:///{path}"), "head")
    assert any(s.startswith("CREATE TABLE users") for s in statements)
    assert not path.exists()


def test_offline_upgrade_sql_matches_the_statements_run_online(db_url: sa.URL) -> None:
    offline = offline_statements(db_url, "head")
    online = online_statements(db_url, "head")
    assert ddl(offline) == ddl(online)
    assert dml_targets(offline) == dml_targets(online)
    assert len(ddl(offline)) >= 10


def test_offline_downgrade_sql_matches_the_statements_run_online(db_url: sa.URL) -> None:
    online_statements(db_url, "head")
    offline = offline_statements(db_url, "head:base", downgrade=True)
    online = online_statements(db_url, "base", downgrade=True)
    assert ddl(offline) == ddl(online)
    assert dml_targets(offline) == dml_targets(online)


@pytest.mark.parametrize("revision", ["440fdbe0fe66", "55221d9084c8:2aefc3d92de3"])
def test_a_revision_range_renders_only_that_range(revision: str, tmp_path) -> None:
    statements = offline_statements(sa.make_url(f"sqlite:///{tmp_path / 'x.db'}"), revision)
    has_users = any(s.startswith("CREATE TABLE users") for s in statements)
    assert has_users == (revision == "440fdbe0fe66")


CREATE_INDEX = re.compile(r"^CREATE (?:UNIQUE )?INDEX (ix_\w+)", re.IGNORECASE)


def index_counts(statements: list[str]) -> Counter[str]:
    return Counter(match.group(1) for s in statements if (match := CREATE_INDEX.match(s)))


def test_draft_sql_says_what_alembic_upgrade_sql_says_for_the_written_revision(db_url: sa.URL, tmp_path) -> None:
    """Each index once (index=True columns included), and the same DDL as the file Alembic writes, per dialect."""
    project = Project(tmp_path)
    engine = sa.create_engine(db_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "head")
    engine.dispose()
    models = copy_metadata()
    models.tables["bots"].append_column(sa.Column("region", sa.String(20), nullable=True, index=True))
    models.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False, server_default="UTC"))
    sa.Table(
        "bot_regions",
        models,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(5), nullable=False, index=True, unique=True),
        sa.Column("bot_id", sa.Integer, sa.ForeignKey("bots.id"), index=True),
    )
    drafted = draft(models, db_url, "indexed columns")
    drafted.write(project.config())

    for dialect in DIALECTS:
        from_alembic = ddl(offline_statements(f"{dialect}://", f"{HEAD}:head", project=project))
        from_draft = ddl(split_script(drafted.sql(dialect)))
        assert index_counts(from_draft) == {"ix_bots_region": 1, "ix_bot_regions_code": 1, "ix_bot_regions_bot_id": 1}
        assert index_counts(from_draft) == index_counts(from_alembic), dialect
        assert from_draft == from_alembic, dialect


def test_draft_sql_rebuilds_a_table_the_draft_creates_from_its_model_on_sqlite() -> None:
    """No live table to copy (the draft creates it), whatever backend the draft came from: the model is the copy."""
    table = sa.Table(
        "bot_notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.String(20))
    )
    unique = ops.CreateUniqueConstraintOp("uq_bot_notes_note", "bot_notes", ["note"])
    upgrade = ops.UpgradeOps(ops=[ops.CreateTableOp.from_table(table), ops.ModifyTableOps("bot_notes", [unique])])
    drafted = Draft("notes", "postgresql", "postgresql://", upgrade, upgrade.reverse())
    sql = drafted.sql("sqlite")
    assert "CREATE TABLE _alembic_tmp_bot_notes" in sql and "CONSTRAINT uq_bot_notes_note UNIQUE (note)" in sql
    assert "ADD CONSTRAINT uq_bot_notes_note UNIQUE (note)" in drafted.sql("postgresql")


@pytest.mark.parametrize(
    ("reflected", "dialect", "boolean", "portable"),
    [
        ("'stopped'::character varying", "sqlite", False, "'stopped'"),
        ("'2026-01-01 00:00:00+00'::timestamp with time zone", "mysql", False, "'2026-01-01 00:00:00+00'"),
        ("'a::b'", "sqlite", False, "'a::b'"),
        ("nextval('bots_id_seq'::regclass)", "sqlite", False, None),
        ("now()", "sqlite", False, "CURRENT_TIMESTAMP"),
        ("current_timestamp()", "sqlite", False, "CURRENT_TIMESTAMP"),
        ("(CURRENT_TIMESTAMP)", "postgresql", False, "CURRENT_TIMESTAMP"),
        ("true", "sqlite", True, "1"),
        ("0", "postgresql", True, "false"),
        ("(0)::double precision", "mysql", False, "0"),
        ("'{}'::jsonb", "sqlite", False, "'{}'"),
        ("lower('X'::text)", "sqlite", False, "(lower('X'))"),
        ("(1) + (2)", "mysql", False, "((1) + (2))"),
    ],
)
def test_portable_default_respells_a_reflected_default_for_another_dialect(
    reflected: str, dialect: str, boolean: bool, portable: str | None
) -> None:
    assert portable_default(reflected, dialect, boolean=boolean) == portable
