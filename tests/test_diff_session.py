"""DiffSession: a warm re-diff equals a full diff after any edit, on either side, by any process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.pool import NullPool

from schema_tools import DiffSession, diff
from schema_tools.errors import ConfigurationError
from schema_tools.sources import copy_metadata
from tests.support_project import upgrade_database as upgrade
from tests.support_scenarios import SCENARIOS, Scenario, base_database, schema


def migrate_elsewhere(url: sa.URL, change: Callable[[Operations], None]) -> None:
    """Another process changes the schema: its own engine, Alembic's operations, committed."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            change(Operations(MigrationContext.configure(connection)))
    finally:
        engine.dispose()


def assert_same_as_full(result, desired: sa.MetaData, url: sa.URL) -> None:
    full = diff(desired, url)
    assert list(result) == list(full), f"warm:\n{result}\nfull:\n{full}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_after_each_kind_of_model_edit_the_warm_diff_equals_a_full_diff(
    scenario: Scenario, backend: str, new_database
) -> None:
    url = base_database(scenario, backend, new_database)
    with DiffSession(url) as session:
        assert not session.diff(schema())
        assert session.last_run.full
        desired = scenario.desired()
        result = session.diff(desired)
        assert not session.last_run.full
        assert {change.kind for change in result} == scenario.expected_kinds
        assert_same_as_full(result, desired, url)
        touched = {change.table for change in result}
        assert touched <= set(session.last_run.compared)


# Edits made in place on the MetaData a notebook keeps, between two diffs.
def _widen_type(m: sa.MetaData) -> None:
    m.tables["bots"].c.name.type = sa.String(250)


def _make_nullable(m: sa.MetaData) -> None:
    m.tables["users"].c.email.nullable = True


def _drop_index(m: sa.MetaData) -> None:
    table = m.tables["audit_logs"]
    table.indexes.discard(next(i for i in table.indexes if i.name == "ix_audit_logs_path"))


def _server_default(m: sa.MetaData) -> None:
    m.tables["strategies"].c.description.server_default = sa.DefaultClause("none yet")


def _forget_table(m: sa.MetaData) -> None:
    m.remove(m.tables["hyperopt_results"])


def _new_table(m: sa.MetaData) -> None:
    sa.Table("alerts", m, sa.Column("id", sa.Integer, primary_key=True), sa.Column("bot_id", sa.ForeignKey("bots.id")))


IN_PLACE = {
    "widen_type": (_widen_type, {"bots"}),
    "make_nullable": (_make_nullable, {"users"}),
    "drop_index": (_drop_index, {"audit_logs"}),
    "server_default": (_server_default, {"strategies"}),
    "forget_table": (_forget_table, {"hyperopt_results"}),
    "new_table": (_new_table, {"alerts"}),
}


@pytest.mark.parametrize("edit", IN_PLACE, ids=str)
def test_an_in_place_edit_of_the_models_is_seen_and_only_that_table_is_compared(
    edit: str, backend: str, new_database
) -> None:
    url = new_database(backend)
    upgrade(url)
    desired = copy_metadata()
    with DiffSession(url, desired) as session:
        assert not session.diff()
        change, tables = IN_PLACE[edit]
        change(desired)
        result = session.diff()
        assert result, f"{edit} went unseen"
        assert_same_as_full(result, desired, url)
        if backend != "mysql":  # MariaDB re-compares tables changed within the last second or so
            assert set(session.last_run.compared) == tables
            assert session.last_run.reused == len(desired.tables) + (edit == "forget_table") - len(tables)


# Changes another process makes to the database while the session holds its cache.
def _add_column(op: Operations) -> None:
    op.add_column("bots", sa.Column("region", sa.String(20)))


def _alter_type(op: Operations) -> None:
    with op.batch_alter_table("strategies") as batch:
        batch.alter_column("name", type_=sa.String(150), existing_type=sa.String(100), existing_nullable=False)


def _create_index(op: Operations) -> None:
    op.create_index("ix_bots_exchange", "bots", ["exchange"])


def _drop_index_elsewhere(op: Operations) -> None:
    op.drop_index("ix_audit_logs_path", table_name="audit_logs")


def _set_default(op: Operations) -> None:
    with op.batch_alter_table("bots") as batch:
        batch.alter_column("exchange", server_default="binance", existing_type=sa.String(50))


def _rename_referred_column(op: Operations) -> None:
    # users.id is referred to by six tables: their foreign keys now name users.uid, so they changed too.
    # (SQLite's batch mode rebuilds users and leaves those keys dangling, which Alembic cannot reflect.)
    op.alter_column("users", "id", new_column_name="uid", existing_type=sa.Integer, existing_nullable=False)


def _rename_table(op: Operations) -> None:
    op.rename_table("freqai_models", "models_archive")  # bots refers to it


def _drop_table(op: Operations) -> None:
    op.drop_table("audit_logs")


def _create_table(op: Operations) -> None:
    op.create_table("scratch_notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.Text))


def _drop_foreign_key(op: Operations) -> None:
    with op.batch_alter_table("bots") as batch:
        batch.drop_constraint("fk_bots_freqai_model_id_freqai_models", type_="foreignkey")


def _column_comment(op: Operations) -> None:
    op.alter_column("bots", "name", comment="what the owner calls it", existing_type=sa.String(100))


ELSEWHERE = {
    "add_column": _add_column,
    "alter_type": _alter_type,
    "create_index": _create_index,
    "drop_index": _drop_index_elsewhere,
    "set_default": _set_default,
    "rename_referred_column": _rename_referred_column,
    "rename_table": _rename_table,
    "drop_table": _drop_table,
    "create_table": _create_table,
    "drop_foreign_key": _drop_foreign_key,
    "column_comment": _column_comment,
}


@pytest.mark.parametrize("ddl", ELSEWHERE, ids=str)
def test_a_change_by_another_process_invalidates_what_it_touches(ddl: str, backend: str, new_database) -> None:
    if (ddl, backend) == ("column_comment", "sqlite"):
        pytest.skip("SQLite has no comments")
    url = new_database(backend)
    upgrade(url)
    desired = copy_metadata()
    with DiffSession(url, desired) as session:
        assert not session.diff()
        migrate_elsewhere(url, ELSEWHERE[ddl])
        result = session.diff()
        assert result, f"{ddl} by another process went unseen"
        assert not session.last_run.full
        assert_same_as_full(result, desired, url)
        # ...and the edit after that is still exact: the cache now holds the other process's schema.
        desired.tables["bots"].append_column(sa.Column("after_that", sa.Integer))
        assert_same_as_full(session.diff(), desired, url)


def test_two_changes_to_one_table_within_a_second_are_both_seen(backend: str, new_database) -> None:
    # MariaDB's change marker has whole seconds: a second change in the same second must not be missed.
    url = new_database(backend)
    upgrade(url)
    desired = copy_metadata()
    with DiffSession(url, desired) as session:
        session.diff()
        migrate_elsewhere(url, _add_column)
        assert [c.name for c in session.diff()] == ["region"]
        migrate_elsewhere(url, lambda op: op.add_column("bots", sa.Column("zone", sa.String(20))))
        result = session.diff()
        assert sorted(c.name for c in result) == ["region", "zone"]
        assert_same_as_full(result, desired, url)


@pytest.mark.parametrize("server", ["sqlite", "postgresql"])
def test_reused_tables_cost_no_reflection(server: str, new_database) -> None:
    # (MariaDB also re-compares tables changed within the last second, so its count depends on the clock.)
    url = new_database(server)
    upgrade(url)
    desired = copy_metadata()
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    with DiffSession(engine, desired) as session:
        session.diff()
        cold = len(statements)
        desired.tables["bots"].append_column(sa.Column("edited", sa.Integer))
        statements.clear()
        assert [c.name for c in session.diff()] == ["edited"]
        assert session.last_run.compared == ("bots",)
        # 10 for the catalog and the compare, 3 per compared table, 1 for the enum types (comparators/enums.py
        # reads every named enum type in one query per diff, whatever the number of tables).
        assert len(statements) <= 11 + 3 * 1 < cold, "\n".join(sql[:90] for sql in statements)
    engine.dispose()


def test_a_session_never_writes_and_leaves_a_given_engine_writable(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    path = Path(sqlite_url.database)
    before = path.read_bytes()
    engine = sa.create_engine(sqlite_url, pool_size=1, max_overflow=0)
    desired = copy_metadata()
    with DiffSession(engine, desired) as session:
        session.diff()
        desired.tables["users"].c.full_name.nullable = False
        assert [c.kind for c in session.diff()] == ["modify_nullable"]
    assert path.read_bytes() == before
    with engine.begin() as connection:  # the pooled connection the session used is not left read-only
        connection.execute(sa.text("CREATE TABLE after_session (id INTEGER)"))
    engine.dispose()


def test_refresh_compares_everything_again(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    with DiffSession(sqlite_url) as session:
        session.diff()
        session.diff()
        assert not session.last_run.full and session.last_run.compared == ()
        session.diff(refresh=True)
        assert session.last_run.full and "users" in session.last_run.compared


def test_a_session_names_its_database_without_the_password() -> None:
    session = DiffSession("postgresql+psycopg://alice:s3cret-pw@db.invalid:5432/prod")
    assert "s3cret-pw" not in repr(session)
    assert "***" in repr(session)
    session.close()


@pytest.mark.parametrize("target", ["440fdbe0fe66", "head"])
def test_a_session_needs_a_database_it_can_reopen(target: str) -> None:
    with pytest.raises(ConfigurationError, match="URL or Engine"):
        DiffSession(target)


def test_created_tables_follow_the_created_tables_they_refer_to(backend: str, new_database) -> None:
    url = new_database(backend)
    upgrade(url)
    desired = copy_metadata()
    with DiffSession(url, desired) as session:
        session.diff()
        sa.Table(
            "a_child",
            desired,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.ForeignKey("z_parent.id")),
        )
        sa.Table("z_parent", desired, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("m_alone", desired, sa.Column("id", sa.Integer, primary_key=True))
        created = [c.table for c in session.diff() if c.kind == "add_table"]
        assert sorted(created) == ["a_child", "m_alone", "z_parent"]
        assert created.index("z_parent") < created.index("a_child")
        assert_same_as_full(session.diff(), desired, url)


def test_a_session_on_a_missing_sqlite_file_refuses_and_creates_nothing(tmp_path: Path) -> None:
    from schema_tools.errors import DatabaseNotFound

    missing = tmp_path / "nope.db"
    with pytest.raises(DatabaseNotFound, match="not found"):
        DiffSession(f"sqlite+aiosqlite:///{missing}")
    assert not missing.exists()


def test_a_session_opened_from_a_url_cannot_write(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    with DiffSession(sqlite_url) as session:
        session.diff()
        with session.engine.connect() as connection, pytest.raises(sa.exc.OperationalError, match="readonly"):
            connection.exec_driver_sql("CREATE TABLE intruder (id INTEGER)")
