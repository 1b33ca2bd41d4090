"""MySQL/MariaDB ALTER algorithms by server version, and SQLite's batch rebuilds, with live rows and bytes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.pool import NullPool

from schema_tools.connect import read_only_connection
from schema_tools.dialects.mysql_locks import COPY, INPLACE, INSTANT, Server, alter_plan, server_of
from schema_tools.lint import LintContext, lint_ops

ROWS = 5


def items(url: sa.URL) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20), n INTEGER)")
        values = ", ".join(f"({i}, 'c{i}', {i})" for i in range(1, ROWS + 1))
        connection.exec_driver_sql(f"INSERT INTO items VALUES {values}")
    engine.dispose()


def lint(url: sa.URL, *operations: object, big_table_rows: int = 3) -> tuple[dict[str, Any], Server]:
    with read_only_connection(url) as connection:
        context = LintContext(connection.dialect.name, connection, big_table_rows)
        found = lint_ops(ops.UpgradeOps(ops=[ops.ModifyTableOps("items", list(operations))]), context)
        return {f.rule: f for f in found}, server_of(connection)


@pytest.mark.parametrize(
    ("kind", "server", "algorithm"),
    [
        ("add_column", Server(True, (10, 3, 1)), INPLACE),
        ("add_column", Server(True, (10, 3, 2)), INSTANT),
        ("add_column", Server(False, (8, 0, 11)), INPLACE),
        ("add_column", Server(False, (8, 0, 40)), INSTANT),
        ("remove_column", Server(True, (10, 11, 6)), INSTANT),
        ("remove_column", Server(False, (8, 0, 28)), INPLACE),
        ("modify_type", Server(True, (10, 11, 6)), COPY),
        ("add_index", Server(False, (8, 0, 40)), INPLACE),
        ("add_fk", Server(True, (10, 11, 6)), COPY),
        ("modify_default", Server(False, (5, 7, 44)), INSTANT),
    ],
)
def test_the_algorithm_follows_the_server_version(kind: str, server: Server, algorithm: str) -> None:
    plan = alter_plan(kind, server)
    assert plan is not None and plan.algorithm == algorithm
    assert plan.blocks is (algorithm == COPY)


def test_a_varchar_widening_is_not_a_copy() -> None:
    assert alter_plan("modify_type", Server(True, (10, 11, 6)), widens=True).algorithm == INSTANT
    assert alter_plan("modify_type", Server(False, (8, 0, 40)), widens=True).algorithm == INPLACE
    assert alter_plan("add_table", Server()) is None


def test_mysql_add_column_is_instant_and_a_type_change_copies_the_rows(mysql_url: sa.URL) -> None:
    items(mysql_url)
    added, server = lint(mysql_url, ops.AddColumnOp("items", sa.Column("extra", sa.Integer)))
    assert "mysql-alter-algorithm" not in added, "INSTANT: nothing to warn of"
    assert alter_plan("add_column", server).algorithm == INSTANT
    changed, _ = lint(mysql_url, ops.AlterColumnOp("items", "n", existing_type=sa.Integer(), modify_type=sa.Text()))
    found = changed["mysql-alter-algorithm"]
    assert found.severity == "warning" and found.count == ROWS
    assert "ALGORITHM=COPY, LOCK=SHARED" in found.message and server.label in found.message
    assert f"items: {ROWS} rows, " in found.message and " bytes" in found.message


def test_a_sqlite_rebuild_names_its_rows(sqlite_url: sa.URL) -> None:
    items(sqlite_url)
    drop = ops.DropColumnOp("items", "n")
    found, _ = lint(sqlite_url, drop)
    rebuild = found["sqlite-rebuild"]
    assert rebuild.count == ROWS and f"items: {ROWS} rows, " in rebuild.message
    assert "write lock" in rebuild.message and "copies every row" in rebuild.message
    assert "sqlite-rebuild" not in lint(sqlite_url, drop, big_table_rows=ROWS + 1)[0]
    assert "sqlite-rebuild" not in lint(sqlite_url, ops.AddColumnOp("items", sa.Column("m", sa.Integer)))[0]
