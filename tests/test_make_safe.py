"""Draft.make_safe(): non-blocking steps that reach exactly the naive draft's schema, keeping every row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.errors import ConfigurationError
from schema_tools.sources import copy_metadata
from tests.support_project import Project

# Rules about locks per backend (SQLite's batch rebuild is how SQLite alters: make_safe keeps it), and the
# rules that say an operation fails on the live rows.
LOCK_RULES = {"postgresql": ("squawk:", "create-index-not-concurrently"), "mysql": ("mysql-alter-algorithm",)}
FAILING_RULES = ("not-null-without-default", "not-null-over-nulls", "unique-on-duplicates", "fk-orphans")


def blocking(findings, backend: str) -> list:
    """Findings of warning or error severity about locks, and errors about failing on existing rows."""
    locks = LOCK_RULES.get(backend, ())
    return [
        f for f in findings
        if (f.severity in ("warning", "error") and f.rule.startswith(locks) and locks)
        or (f.severity == "error" and f.rule in FAILING_RULES)
    ]  # fmt: skip


def seeded(backend: str, new_database, tmp_path) -> tuple[sa.URL, sa.Engine, Project]:
    """A database at head with bots and audit rows (the seed revision adds the users)."""
    url = new_database(backend)
    project = Project(tmp_path)
    engine = sa.create_engine(url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "head")
    with engine.begin() as connection:
        owner = connection.execute(sa.text("SELECT id FROM users ORDER BY id")).scalars().first()
        for number in range(25):
            connection.execute(
                sa.text(
                    "INSERT INTO bots (name, strategy_name, exchange, stake_currency, created_by) "
                    "VALUES (:name, 'S', :exchange, 'USDT', :owner)"
                ),
                {"name": f"bot{number}", "exchange": f"x{number % 3}", "owner": owner},
            )
            connection.execute(
                sa.text("INSERT INTO audit_logs (username, action) VALUES (:user, 'login')"),
                {"user": "admin" if number % 2 else None},
            )
    return url, engine, project


def changed_models() -> sa.MetaData:
    """An index, a foreign key and a SET NOT NULL over existing rows, and a required column with a model default."""
    models = copy_metadata()
    bots = models.tables["bots"]
    sa.Index("ix_bots_exchange", bots.c.exchange)
    bots.c.stake_currency.nullable = False
    bots.append_column(sa.Column("tier", sa.String(20), nullable=False, default="basic"))
    audit_logs = models.tables["audit_logs"]
    audit_logs.append_constraint(
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_audit_logs_username")
    )
    return models


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("bots", "audit_logs")
        }


def assert_steps(safe, backend: str) -> None:
    """The code has each backend's non-blocking steps."""
    code = safe.upgrade_code
    assert "UPDATE" in code and "LIMIT 7" in code, code
    if backend == "postgresql":
        assert "postgresql_concurrently=True" in code and "autocommit_block" in code
        assert "postgresql_not_valid=True" in code and "VALIDATE CONSTRAINT" in code
        assert "SET lock_timeout" in code and "NOT VALID" in code
        assert "postgresql_concurrently=True" in safe.downgrade_code
    if backend == "mysql":
        assert "ALGORITHM=INPLACE LOCK=NONE" in code and "lock_wait_timeout" in code
        assert "foreign_key_checks = 0" in code and "ALGORITHM=INPLACE, LOCK=NONE" in code


def test_the_safe_draft_reaches_the_naive_schema_and_keeps_every_row(backend: str, new_database, tmp_path) -> None:
    url, engine, project = seeded(backend, new_database, tmp_path)
    models = changed_models()
    naive = draft(models, url, "safe changes", big_table_rows=1)  # every table counts as big
    assert any(f.rule == "not-null-without-default" and f.severity == "error" for f in naive.findings)
    safe = naive.make_safe(batch_size=7, big_table_rows=1)
    assert_steps(safe, backend)
    if backend in LOCK_RULES:
        assert blocking(naive.findings, backend), "the naive draft blocks (so the test means something)"
    assert not blocking(safe.findings, backend), safe.findings
    assert not safe.errors, safe.errors
    sql = safe.sql()
    assert "UPDATE bots SET tier" in sql and "ix_bots_exchange" in sql
    assert backend != "postgresql" or ("CREATE INDEX CONCURRENTLY" in sql and "NOT VALID" in sql)
    before = counts(engine)
    safe.write(project.config())
    command.upgrade(project.config(connection=engine), "head")
    assert not diff(models, url), "after the safe upgrade the database is exactly the models"
    assert counts(engine) == before
    with engine.connect() as connection:
        tiers = connection.execute(sa.text("SELECT DISTINCT tier FROM bots")).scalars().all()
    assert tiers == ["basic"]
    command.downgrade(project.config(connection=engine), "-1")
    assert not diff(None, url), "the downgrade brings the database back to the models"
    assert counts(engine) == before
    engine.dispose()


def test_a_required_column_without_a_value_needs_one(sqlite_url: sa.URL, tmp_path) -> None:
    project = Project(tmp_path)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "head")
    models = copy_metadata()
    models.tables["users"].append_column(sa.Column("locale", sa.String(10), nullable=False))
    drafted = draft(models, sqlite_url, "locale")
    with pytest.raises(ConfigurationError, match=r"users\.locale .*backfill="):
        drafted.make_safe()
    safe = drafted.make_safe(backfill={"users.locale": "en"}, batch_sleep=0.01)
    assert "'en'" in safe.upgrade_code and "time.sleep(0.01)" in safe.upgrade_code
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_safe_foreign_key_refuses_orphans_and_changes_nothing(backend: str, new_database, tmp_path) -> None:
    url, engine, project = seeded(backend, new_database, tmp_path)
    models = copy_metadata()
    models.tables["audit_logs"].append_constraint(
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_audit_logs_username")
    )
    safe = draft(models, url, "fk").make_safe()
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO audit_logs (username, action) VALUES ('nobody', 'x')"))
    safe.write(project.config())
    with pytest.raises(Exception, match="nobody|fk_audit_logs_username|point to no"):
        command.upgrade(project.config(connection=engine), "head")
    foreign_keys = {fk["name"] for fk in sa.inspect(engine).get_foreign_keys("audit_logs")}
    assert "fk_audit_logs_username" not in foreign_keys, "checked before the first step commits"
    engine.dispose()


MODELS_MODULE = """
import sqlalchemy as sa
from schema_tools.sources import copy_metadata

metadata = copy_metadata()
sa.Index("ix_bots_exchange", metadata.tables["bots"].c.exchange)
metadata.tables["users"].append_column(sa.Column("locale", sa.String(10), nullable=False))
"""


def test_the_cli_prints_the_safe_draft(new_database, tmp_path, monkeypatch, capsys) -> None:
    from schema_tools.cli import main

    url, engine, project = seeded("postgresql", new_database, tmp_path / "project")
    (tmp_path / "safe_models.py").write_text(MODELS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["draft", "-m", "safe", "--url", str(url.render_as_string(hide_password=False)), "--metadata"]
    argv += ["safe_models:metadata", "--safe", "--batch-size", "50", "--backfill", "users.locale=en"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "postgresql_concurrently=True" in out and "LIMIT 50" in out and "'en'" in out
    engine.dispose()
