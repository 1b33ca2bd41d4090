"""Draft.make_safe(): non-blocking steps that reach exactly the naive draft's schema, keeping every row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.errors import ConfigurationError
from schema_tools.safe_ops import BackfillOp
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
    # Batches walk the integer key (7 ids a batch), so no batch rescans or locks rows filled already.
    assert "UPDATE" in code and "range(low, high + 1, 7)" in code and "id >= :start AND id < :stop" in code, code
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
    assert "postgresql_concurrently=True" in out and "range(low, high + 1, 50)" in out and "'en'" in out
    engine.dispose()


# -- type changes: a shadow column kept in sync by a trigger, backfilled, then swapped in --------------------

SWAP_BACKENDS = ["postgresql", "mysql"]


def retyped_models(column: str = "total_trades", new_type: sa.types.TypeEngine | None = None) -> sa.MetaData:
    """bots.<column> with a new type (total_trades: INTEGER NOT NULL DEFAULT 0 -> BIGINT, which rewrites)."""
    models = copy_metadata()
    models.tables["bots"].c[column].type = new_type if new_type is not None else sa.BigInteger()
    return models


def column_type(engine: sa.Engine, column: str) -> sa.types.TypeEngine:
    return next(c["type"] for c in sa.inspect(engine).get_columns("bots") if c["name"] == column)


def run_steps(engine: sa.Engine, upgrade_ops, between) -> None:
    """Run the safe draft's steps one by one through Alembic, calling `between(step)` after each."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations, ops

    with engine.connect() as connection:
        operations = Operations(MigrationContext.configure(connection))
        for step in upgrade_ops.ops:
            for sub in step.ops if isinstance(step, ops.ModifyTableOps) else [step]:
                operations.invoke(sub)
                if connection.in_transaction():
                    connection.commit()
            between(step)


@pytest.mark.parametrize("backend", SWAP_BACKENDS)
def test_a_rewriting_type_change_is_swapped_in_and_keeps_concurrent_writes(backend, new_database, tmp_path) -> None:
    url, engine, _project = seeded(backend, new_database, tmp_path)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE bots SET total_trades = id * 3"))
    models = retyped_models()
    naive = draft(models, url, "bigint", big_table_rows=1)
    assert blocking(naive.findings, backend), "the naive type change blocks (so the test means something)"
    safe = naive.make_safe(batch_size=7, big_table_rows=1)
    code = safe.upgrade_code
    assert "total_trades__new" in code and "CREATE TRIGGER" in code and "range(low, high + 1, 7)" in code, code
    assert "op.alter_column('bots', 'total_trades'" not in code, "the naive ALTER is gone"
    assert not [f for f in blocking(safe.findings, backend) if f.column in ("total_trades", "total_trades__new")]
    assert not safe.errors, safe.errors
    compile(code, "upgrade", "exec")  # valid Python as the revision file holds it
    big = 2**40
    writer = sa.create_engine(url, poolclass=NullPool)
    done: list[str] = []

    def concurrent_writer(step) -> None:
        """Once the backfill is over (only the trigger can copy them) and before the swap, another connection
        inserts and updates rows through the old column."""
        if done or not any(isinstance(o, BackfillOp) for o in getattr(step, "ops", [])):
            return
        with writer.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO bots (name, strategy_name, exchange, created_by, total_trades) "
                    "SELECT 'late', 'S', 'x', created_by, 2000000000 FROM bots WHERE name = 'bot0'"
                )
            )
            connection.execute(sa.text("UPDATE bots SET total_trades = 1999999999 WHERE name = 'bot1'"))
        done.append("written")

    run_steps(engine, safe.upgrade_ops, concurrent_writer)
    assert done, "the writer ran after the backfill, before the swap"
    assert not diff(models, url), "after the safe upgrade the database is exactly the models"
    assert isinstance(column_type(engine, "total_trades"), sa.BigInteger)
    with engine.begin() as connection:
        rows = dict(connection.execute(sa.text("SELECT name, total_trades FROM bots")).all())
        connection.execute(sa.text("UPDATE bots SET total_trades = :big WHERE name = 'late'"), {"big": big})
        assert connection.execute(sa.text("SELECT total_trades FROM bots WHERE name = 'late'")).scalar_one() == big
    assert rows["late"] == 2000000000 and rows["bot1"] == 1999999999
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.text("SELECT name, id FROM bots WHERE name LIKE 'bot%'")).all())
    assert all(rows[name] == ids[name] * 3 for name in ids if name != "bot1"), rows
    writer.dispose()
    engine.dispose()


@pytest.mark.parametrize("backend", SWAP_BACKENDS)
def test_the_written_swap_upgrades_to_the_models_and_downgrades_to_the_old_type(backend, new_database, tmp_path):
    url, engine, project = seeded(backend, new_database, tmp_path)
    with engine.begin() as connection:  # an index over a retyped column is built again before the swap
        connection.execute(sa.text("CREATE UNIQUE INDEX ix_bots_port ON bots (port, exchange)"))
        connection.execute(sa.text("UPDATE bots SET port = 8000 + id"))
    models = retyped_models()
    models.tables["bots"].c.port.type = sa.BigInteger()
    sa.Index("ix_bots_port", models.tables["bots"].c.port, models.tables["bots"].c.exchange, unique=True)
    safe = draft(models, url, "bigint").make_safe(batch_size=10)
    assert "port__new" in safe.upgrade_code and "ix_bots_port__new" in safe.upgrade_code
    safe.write(project.config())
    command.upgrade(project.config(connection=engine), "head")
    assert not diff(models, url), "the written revision reaches the models"
    with engine.connect() as connection:
        defaults = connection.execute(sa.text("SELECT COUNT(*) FROM bots WHERE total_trades = 0")).scalar_one()
        ports = connection.execute(sa.text("SELECT COUNT(*) FROM bots WHERE port = 8000 + id")).scalar_one()
    assert defaults == 25 and ports == 25
    command.downgrade(project.config(connection=engine), "-1")
    old = copy_metadata()
    sa.Index("ix_bots_port", old.tables["bots"].c.port, old.tables["bots"].c.exchange, unique=True)
    assert not diff(old, url), "the downgrade brings the old types back"
    assert not isinstance(column_type(engine, "total_trades"), sa.BigInteger)
    engine.dispose()


@pytest.mark.parametrize("backend", SWAP_BACKENDS)
def test_a_widening_the_backend_makes_in_the_catalog_stays_a_plain_alter(backend, new_database, tmp_path) -> None:
    url, engine, _project = seeded(backend, new_database, tmp_path)
    safe = draft(retyped_models("strategy_name", sa.String(200)), url, "wider").make_safe()
    code = safe.upgrade_code
    assert "op.alter_column('bots', 'strategy_name'" in code and "__new" not in code and "TRIGGER" not in code
    assert "lock_timeout" in code or "lock_wait_timeout" in code, "under the lock timeout"
    engine.dispose()


@pytest.mark.parametrize("backend", SWAP_BACKENDS)
def test_a_primary_key_keeps_the_naive_type_change_with_a_warning(backend, new_database, tmp_path) -> None:
    from schema_tools.safe_types import KEPT_RULE, kept_type_changes

    url, engine, _project = seeded(backend, new_database, tmp_path)
    naive = draft(retyped_models("id"), url, "bigint id", big_table_rows=1)
    safe = naive.make_safe(big_table_rows=1)
    assert "op.alter_column('bots', 'id'" in safe.upgrade_code and "__new" not in safe.upgrade_code
    assert [f for f in blocking(safe.findings, backend) if f.column == "id"], "still flagged as blocking"
    notes = kept_type_changes(naive.upgrade_ops, naive.tables, naive.dialect)
    assert [n for n in notes if n.rule == KEPT_RULE and n.severity == "warning" and "primary key" in n.message]
    engine.dispose()
