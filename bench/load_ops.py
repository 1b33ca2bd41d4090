"""The operations `make bench-load` migrates a busy table with, and how a naive or safe draft is applied."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from schema_tools.draft import Draft, draft
from schema_tools.safe_ops import flattened

BACKFILL = {"items.tier": "basic"}
RETRIES = 50


def models(change: str | None) -> sa.MetaData:
    """The bench tables, with `change` applied to the models (None: as the database starts)."""
    metadata = sa.MetaData()
    sa.Table("parents", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    qty = sa.BigInteger if change == "change type" else sa.Integer
    items = sa.Table(
        "items", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, nullable=False),
        sa.Column("qty", qty, nullable=False),
        sa.Column("note", sa.String(40), nullable=change != "set not null"),
    )  # fmt: skip
    if change == "add index":
        sa.Index("ix_items_qty", items.c.qty)
    if change == "add fk":
        items.append_constraint(sa.ForeignKeyConstraint(["parent_id"], ["parents.id"], name="fk_items_parent"))
    if change == "add required column":
        items.append_column(sa.Column("tier", sa.String(20), nullable=False, default="basic"))
    return metadata


OPERATIONS = ("add index", "add fk", "set not null", "add required column", "change type")


def fill_sql(backend: str, rows: int) -> list[str]:
    """Create and fill the tables fast: generate_series on PostgreSQL, a recursive CTE on MariaDB."""
    key = "SERIAL PRIMARY KEY" if backend == "postgresql" else "INTEGER AUTO_INCREMENT PRIMARY KEY"
    create = [
        "DROP TABLE IF EXISTS items",
        "DROP TABLE IF EXISTS parents",
        "CREATE TABLE parents (id INTEGER PRIMARY KEY)",
        f"CREATE TABLE items (id {key}, parent_id INTEGER NOT NULL, qty INTEGER NOT NULL, note VARCHAR(40))",
    ]
    if backend == "postgresql":
        return [
            *create,
            "INSERT INTO parents SELECT g FROM generate_series(1, 10) g",
            f"INSERT INTO items (parent_id, qty, note) SELECT 1 + MOD(g, 10), g, 'n' FROM generate_series(1, {rows}) g",
            "ANALYZE items",
        ]
    series = f"WITH RECURSIVE s (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {rows})"
    return [
        *create,
        "INSERT INTO parents (id) VALUES " + ", ".join(f"({i})" for i in range(1, 11)),
        "SET SESSION max_recursive_iterations = 100000000",
        f"INSERT INTO items (parent_id, qty, note) {series} SELECT 1 + MOD(g, 10), g, 'n' FROM s",
    ]


def drafted(url: str, change: str, safe: bool, lock_timeout: float) -> Draft:
    """The draft schema_tools writes for the change; with make_safe when `safe`."""
    naive = draft(models(change), url, change)
    return naive.make_safe(backfill=BACKFILL, lock_timeout=lock_timeout) if safe else naive


def _steps(upgrade: ops.UpgradeOps) -> list[Any]:
    """Top-level steps: each op of a table's ModifyTableOps on its own, autocommit blocks whole."""
    steps: list[Any] = []
    for operation in upgrade.ops:
        steps.extend(operation.ops if isinstance(operation, ops.ModifyTableOps) else [operation])
    return steps


def added_columns(step: Any) -> list[str]:
    """The columns a step adds (inside an autocommit block too)."""
    found = [sub for op in flattened(step) for sub in (op.ops if isinstance(op, ops.ModifyTableOps) else [op])]
    return [str(op.column.name) for op in found if isinstance(op, ops.AddColumnOp)]


def apply(
    engine: sa.Engine, plan: Draft, safe: bool, gave_up: Callable[[BaseException], bool],
    column_added: Callable[[str], None], connected: Callable[[sa.Connection], None],
) -> int:  # fmt: skip
    """Run the draft's upgrade; a safe step that gave up waiting for its lock is retried. Returns retries.

    `column_added` hears of each added column once its step committed, before the next step starts (the
    application starts writing it then, before a backfill or NOT NULL step); `connected` gets the migrating
    connection first (MariaDB's sub-second lock limit watches it)."""
    retries = 0
    with engine.connect() as connection:
        connected(connection)
        context = MigrationContext.configure(connection)
        operations = Operations(context)
        for step in _steps(plan.upgrade_ops):
            for attempt in range(RETRIES):
                try:
                    with context.begin_transaction():
                        operations.invoke(step)
                    connection.commit()
                    break
                except sa.exc.DBAPIError as error:
                    connection.rollback()
                    if not (safe and gave_up(error.orig or error) and attempt < RETRIES - 1):
                        raise
                    retries += 1
                    time.sleep(0.2)
            for column in added_columns(step):
                column_added(column)
    return retries
