"""The diff scenario suite: one schema change per scenario, with awkward names, for every backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

# Names nobody should have to avoid: reserved words, mixed case, unicode, and an injection attempt.
RESERVED = "user"
ORDER = "order"
MIXED = "MixedCase"
UNICODE = "naïve_ünïcode"
HOSTILE = 'x"; DROP TABLE t; --'
ALL_BACKENDS = frozenset({"sqlite", "postgresql", "mysql"})
SERVERS = frozenset({"postgresql", "mysql"})


def schema(change: str | None = None) -> sa.MetaData:
    """The base schema, or the base schema with one named change applied."""
    md = sa.MetaData()
    score_default = "5" if change == "modify_default" else "0"
    user_columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("select", sa.String(50), nullable=False, comment="picked" if change == "modify_comment" else None),
        sa.Column(MIXED, sa.String(20 if change == "modify_type" else 100), nullable=True),
        sa.Column("score", sa.Integer, nullable=True, server_default=sa.text(score_default)),
        sa.Column("email", sa.String(100), nullable=True),
    ]
    if change == "add_column":
        user_columns.append(sa.Column(HOSTILE, sa.String(30), nullable=True))
    user_args: list[sa.SchemaItem] = []
    if change not in ("remove_unique", "remove_unique_mysql"):
        user_args.append(sa.UniqueConstraint("select", name="uq_user_select"))
    if change != "remove_index":
        user_args.append(sa.Index("ix_user_email", "email"))
    sa.Table(
        RESERVED,
        md,
        *user_columns,
        *user_args,
        comment="everyone who signs in" if change == "table_comment" else None,
    )

    order_columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("total", sa.Integer, nullable=change != "modify_nullable"),
    ]
    if change != "remove_column":
        order_columns.append(sa.Column(UNICODE, sa.String(40), nullable=True))
    order_args: list[sa.SchemaItem] = []
    if change != "remove_fk":
        order_args.append(sa.ForeignKeyConstraint(["user_id"], [f"{RESERVED}.id"], name="fk_order_user_id_user"))
    if change == "add_index":
        order_args.append(sa.Index("ix_order_total", "total"))
    if change == "add_unique":
        order_args.append(sa.UniqueConstraint(UNICODE, name="uq_order_unicode"))
    sa.Table(ORDER, md, *order_columns, *order_args)

    if change != "remove_table":
        legacy: list[sa.SchemaItem] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("note", sa.String(20)),
        ]
        if change == "add_fk":
            legacy.append(sa.Column("user_id", sa.Integer, nullable=True))
            legacy.append(sa.ForeignKeyConstraint(["user_id"], [f"{RESERVED}.id"], name="fk_legacy_user_id_user"))
        sa.Table("legacy", md, *legacy)
    if change == "add_table":
        sa.Table("select", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column(HOSTILE, sa.String(10)))
    return md


@dataclass(frozen=True)
class Scenario:
    """A named change to the base schema and the change kinds compare_metadata must report for it."""

    name: str
    expected_kinds: frozenset[str]
    backends: frozenset[str] = ALL_BACKENDS

    def desired(self) -> sa.MetaData:
        return schema(self.name)


SCENARIOS = (
    Scenario("add_table", frozenset({"add_table"})),
    Scenario("remove_table", frozenset({"remove_table"})),
    Scenario("add_column", frozenset({"add_column"})),
    Scenario("remove_column", frozenset({"remove_column"})),
    Scenario("modify_type", frozenset({"modify_type"})),
    Scenario("modify_nullable", frozenset({"modify_nullable"})),
    Scenario("modify_default", frozenset({"modify_default"})),
    # SQLite has no comments; Alembic does not compare them there.
    Scenario("modify_comment", frozenset({"modify_comment"}), SERVERS),
    Scenario("add_index", frozenset({"add_index"})),
    Scenario("remove_index", frozenset({"remove_index"})),
    Scenario("add_unique", frozenset({"add_constraint"})),
    # MySQL implements a unique constraint as a unique index, and Alembic reports it as one.
    Scenario("remove_unique", frozenset({"remove_constraint"}), frozenset({"sqlite", "postgresql"})),
    Scenario("remove_unique_mysql", frozenset({"remove_index"}), frozenset({"mysql"})),
    Scenario("add_fk", frozenset({"add_column", "add_fk"})),
    Scenario("remove_fk", frozenset({"remove_fk"})),
    Scenario("table_comment", frozenset({"add_table_comment"}), SERVERS),
)


def base_database(scenario: Scenario, backend: str, new_database: Callable[[str], sa.URL]) -> sa.URL:
    """A scratch database holding the base schema; a skip when the scenario does not apply to the backend."""
    if backend not in scenario.backends:
        pytest.skip(f"{scenario.name} does not apply to {backend}")
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        schema().create_all(engine)
    finally:
        engine.dispose()
    return url
