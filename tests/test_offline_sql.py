"""Offline `upgrade --sql` renders without connecting, and says exactly what an online upgrade runs."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from schema_tools.settings import alembic_config
from schema_tools.sqltext import stable_order

DDL = re.compile(r"^(CREATE|ALTER|DROP)\b", re.IGNORECASE)
DML = re.compile(r"^(INSERT INTO|UPDATE|DELETE FROM)\s+(\S+)", re.IGNORECASE)


def normalize(statement: str) -> str:
    return " ".join(statement.replace("\n", " ").split()).rstrip(";").strip()


def offline_statements(url: sa.URL, revision_range: str, *, downgrade: bool = False) -> list[str]:
    buffer = io.StringIO()
    config = alembic_config(url=url.render_as_string(hide_password=False))
    config.output_buffer = buffer
    (command.downgrade if downgrade else command.upgrade)(config, revision_range, sql=True)
    chunks = re.split(r";\s*\n", buffer.getvalue())
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
