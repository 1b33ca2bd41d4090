"""The catalog token: a re-diff with nothing changed in the database costs one cheap statement, and any DDL is seen."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from schema_tools import DiffSession
from schema_tools.fingerprints import Catalog, database_fingerprints
from schema_tools.sources import copy_metadata
from tests.support_project import upgrade_database as upgrade
from tests.test_diff_session import ELSEWHERE, assert_same_as_full, migrate_elsewhere

# The statement that reads every table's digests (PostgreSQL), or every table's keys (MariaDB): skipped when the
# token says nothing moved.
PER_TABLE = {"postgresql": "md5(concat_ws", "mysql": "REFERENTIAL_CONSTRAINTS"}


def _settled(connection: sa.Connection) -> Catalog:
    """MariaDB gives no token while a table's stamp is within its last second: wait until the stamps settle."""
    deadline = time.monotonic() + 10
    while True:
        catalog = database_fingerprints(connection, None)
        if catalog.token is not None or time.monotonic() > deadline:
            return catalog
        time.sleep(0.3)


def _settled_database(server: str, new_database) -> tuple[sa.URL, sa.MetaData, sa.Engine]:
    """A database at the head whose stamps have settled, a copy of the models, and a one-connection engine."""
    url = new_database(server)
    upgrade(url)
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as connection:
        _settled(connection)
    return url, copy_metadata(), engine


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_an_unchanged_catalog_is_one_statement_and_a_change_reads_every_table_again(server: str, new_database) -> None:
    url = new_database(server)
    upgrade(url)
    engine = sa.create_engine(url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    with engine.connect() as connection:
        first = _settled(connection)
        assert first.token is not None and first.tables and "bots" in first.tables
        statements.clear()
        again = database_fingerprints(connection, first.token)
        assert (again.tables, again.token) == (None, first.token)
        assert len(statements) == 1 and PER_TABLE[server] not in statements[0]
        connection.rollback()
        migrate_elsewhere(url, ELSEWHERE["add_column"])
        statements.clear()
        after = database_fingerprints(connection, first.token)
    engine.dispose()
    assert after.tables is not None and after.token != first.token
    assert any(PER_TABLE[server] in sql for sql in statements)
    assert after.tables["bots"] != first.tables["bots"]
    assert after.tables["users"] == first.tables["users"]


# The DDL whose only trace may be in another table's keys: on MariaDB, the statement the token skips reads those.
@pytest.mark.parametrize("ddl", ["rename_table", "rename_referred_column", "drop_foreign_key", "drop_table"])
@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_a_session_that_reused_the_catalog_still_sees_ddl_by_another_process(
    server: str, ddl: str, new_database
) -> None:
    url, desired, engine = _settled_database(server, new_database)
    with DiffSession(engine, desired) as session:
        assert not session.diff()
        statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
        assert not session.diff()  # nothing moved: answered from the token
        assert not session.last_run.full and not any(PER_TABLE[server] in sql for sql in statements)
        migrate_elsewhere(url, ELSEWHERE[ddl])
        result = session.diff()
        assert result, f"{ddl} by another process went unseen"
        assert_same_as_full(result, desired, url)
    engine.dispose()


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_a_re_diff_counts_rows_of_tables_its_catalog_just_read_without_asking_if_they_exist(
    server: str, new_database
) -> None:
    url, desired, engine = _settled_database(server, new_database)
    statements: list[tuple[str, object]] = []
    with DiffSession(engine, desired) as session:
        session.diff()
        desired.tables["bots"].append_column(sa.Column("required", sa.Integer, nullable=False))
        sa.event.listen(
            engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_a: statements.append((sql, params))
        )
        (change,) = session.diff()
    engine.dispose()
    assert change.name == "required" and change.risk == "safe"  # bots has no rows: counted, not assumed
    assert any("count(*)" in sql.lower() for sql, _ in statements)
    # Inspector.has_table's statement: MySQL's DESCRIBE; PostgreSQL's lookup of one name by `table_names`.
    asked = [sql for sql, params in statements if sql.startswith("DESCRIBE") or "table_names_1" in str(params)]
    assert not asked, asked
