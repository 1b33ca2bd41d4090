"""squawk judges PostgreSQL operations; its findings carry our live rows, bytes, lock and rewrite, everywhere."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.pool import NullPool

from schema_tools.connect import read_only_connection
from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.lint import LintContext, lint_ops
from schema_tools.rules import squawk as squawk_rule
from schema_tools.rules.engine import BIG_TABLE_ROWS

INDEX = "squawk:require-concurrent-index-creation"
NOT_NULL = "squawk:adding-not-nullable-field"
REWRITE = "squawk:changing-column-type"


def big_items(url: sa.URL) -> None:
    """items with more rows than BIG_TABLE_ROWS, so every lock finding is listed."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20))")
        connection.exec_driver_sql(
            f"INSERT INTO items SELECT n, 'c' || n FROM generate_series(1, {BIG_TABLE_ROWS + 1}) AS n"
        )
    engine.dispose()


def models(*, index: bool = False, not_null: bool = False) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "items", metadata, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), index=index, nullable=not not_null),
    )  # fmt: skip
    return metadata


def lint(url: sa.URL | None, *operations: object, dialect: str = "postgresql") -> dict[str, Any]:
    upgrade = ops.UpgradeOps(ops=list(operations))
    if url is None:
        return {f.rule: f for f in lint_ops(upgrade, LintContext(dialect))}
    with read_only_connection(url) as connection:
        return {f.rule: f for f in lint_ops(upgrade, LintContext(dialect, connection))}


def test_an_index_on_a_big_table_is_squawks_finding_with_our_rows_and_bytes(postgres_url: sa.URL) -> None:
    big_items(postgres_url)
    rows = BIG_TABLE_ROWS + 1
    found = draft(models(index=True), postgres_url).findings
    (index,) = [f for f in found if f.rule == INDEX]
    assert index.count == rows and f"items: {rows} rows, " in index.message and " bytes" in index.message
    assert "Takes SHARE, no rewrite" in index.message and "concurrently" in index.hint.lower()
    (change,) = [c for c in diff(models(index=True), postgres_url) if c.kind == "add_index"]
    assert any(v.rule == INDEX and v.count == rows for v in change.verdicts), change.verdicts
    concurrent = ops.CreateIndexOp("ix_items_code", "items", ["code"], postgresql_concurrently=True)
    assert INDEX not in lint(postgres_url, concurrent)


def test_set_not_null_on_a_big_table_is_squawks_finding(postgres_url: sa.URL) -> None:
    big_items(postgres_url)
    found = {f.rule: f for f in draft(models(not_null=True), postgres_url).findings}
    assert "ACCESS EXCLUSIVE" in found[NOT_NULL].message and found[NOT_NULL].count == BIG_TABLE_ROWS + 1
    (change,) = [c for c in diff(models(not_null=True), postgres_url) if c.kind == "modify_nullable"]
    assert NOT_NULL in {v.rule for v in change.verdicts}


def test_a_rewrite_is_listed_without_a_connection_and_a_text_widening_is_not() -> None:
    rewrite = ops.AlterColumnOp("items", "id", existing_type=sa.Integer(), modify_type=sa.BigInteger())
    found = lint(None, ops.ModifyTableOps("items", [rewrite]))[REWRITE]
    assert found.message.startswith("INTEGER -> BIGINT on items: ")
    assert "rewrites the table" in found.message and "size unknown" in found.message
    for wider in (sa.String(40), sa.Text()):
        widening = ops.AlterColumnOp("items", "code", existing_type=sa.String(20), modify_type=wider)
        assert lint(None, ops.ModifyTableOps("items", [widening])) == {}, "a catalog-only change"
    assert lint(None, ops.ModifyTableOps("items", [rewrite]), dialect="sqlite").keys().isdisjoint({REWRITE})


def test_findings_map_to_their_own_operation() -> None:
    upgrade = ops.UpgradeOps(
        ops=[
            ops.ModifyTableOps("a", [ops.AddColumnOp("a", sa.Column("n", sa.Integer))]),
            ops.ModifyTableOps("b", [ops.AlterColumnOp("b", "x", existing_type=sa.Integer(), modify_type=sa.Text())]),
        ]
    )
    (finding,) = [f for f in lint_ops(upgrade, LintContext("postgresql")) if f.rule == REWRITE]
    assert finding.operation == "alter_column b.x"


def test_without_squawk_every_operation_gets_a_cannot_judge_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(squawk_rule, "squawk_binary", lambda: None)
    found = lint(None, ops.CreateIndexOp("ix", "items", ["code"]))
    assert found["squawk:unavailable"].severity == "warning"
    assert "squawk cannot judge" in found["squawk:unavailable"].message


def test_squawk_ships_with_the_package() -> None:
    assert squawk_rule.squawk_binary() is not None


def test_the_readme_lists_every_squawk_rule_we_run() -> None:
    from pathlib import Path

    from schema_tools.dialects.postgresql_locks import LOCK_FACTS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in LOCK_FACTS)


def test_lint_of_a_revision_reports_squawks_finding_with_live_rows(postgres_url: sa.URL) -> None:
    import schema_tools
    from tests.support_project import upgrade_database

    upgrade_database(postgres_url, "440fdbe0fe66")
    engine = sa.create_engine(postgres_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (username, hashed_password) "
            f"SELECT 'u' || n, 'x' FROM generate_series(1, {BIG_TABLE_ROWS + 1}) AS n"
        )
    engine.dispose()
    (report,) = schema_tools.lint("55221d9084c8", url=postgres_url)
    found = {f.rule: f for f in report.findings}
    assert found[NOT_NULL].count == BIG_TABLE_ROWS + 1 and "ACCESS EXCLUSIVE" in found[NOT_NULL].message
