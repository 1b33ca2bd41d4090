"""The order diff() lists changes in, and SchemaDiff's summaries, on hand-built changes without a database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schema_tools.changes import Change
from schema_tools.diff import SchemaDiff, canonical_order, group_by_table

pytestmark = pytest.mark.unit


@pytest.fixture
def desired() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("zeta", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("alpha_log", metadata, sa.Column("id", sa.Integer), sa.Column("bot_id", sa.ForeignKey("bots.id")))
    sa.Table(
        "bots", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("owner", sa.ForeignKey("users.id"))
    )
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("beta", metadata, sa.Column("id", sa.Integer, primary_key=True))
    return metadata


def created(*names: str) -> list[Change]:
    return [Change("add_table", name, name) for name in names]


def test_group_by_table_keeps_the_first_seen_table_order_and_each_tables_order() -> None:
    changes = [
        Change("add_column", "b", "x"),
        Change("add_column", "a", "y"),
        Change("modify_type", "b", "z"),
        Change("add_sequence", None, None),
    ]
    groups = group_by_table(changes)
    assert list(groups) == ["b", "a", None]
    assert [change.name for change in groups["b"]] == ["x", "z"]


def test_created_tables_follow_the_tables_they_refer_to(desired: sa.MetaData) -> None:
    names = ["zeta", "alpha_log", "bots", "users", "beta"]
    order = [change.table for change in canonical_order(group_by_table(created(*names)), desired)]
    assert sorted(order) == sorted(names)
    assert order.index("users") < order.index("bots") < order.index("alpha_log")
    independent = [name for name in order if name in ("beta", "users", "zeta")]
    assert independent == ["beta", "users", "zeta"]  # no foreign keys among them: by name


def test_the_creation_order_does_not_depend_on_the_order_alembic_reported(desired: sa.MetaData) -> None:
    names = ["zeta", "alpha_log", "bots", "users", "beta"]
    forward = canonical_order(group_by_table(created(*names)), desired)
    backward = canonical_order(group_by_table(created(*reversed(names))), desired)
    assert forward == backward


def test_a_created_table_missing_from_the_metadata_comes_after_those_in_it(desired: sa.MetaData) -> None:
    order = [c.table for c in canonical_order(group_by_table(created("aaa_ghost", "users", "bots")), desired)]
    assert order == ["users", "bots", "aaa_ghost"]


def test_created_then_dropped_then_altered_tables_each_by_name(desired: sa.MetaData) -> None:
    changes = [
        Change("add_column", "zeta", "c"),
        Change("remove_table", "old_b", "old_b"),
        Change("add_sequence", None, None),
        Change("add_column", "beta", "c"),
        Change("remove_table", "old_a", "old_a"),
        *created("bots", "users"),
    ]
    order = [(change.kind, change.table) for change in canonical_order(group_by_table(changes), desired)]
    assert order == [
        ("add_table", "users"),
        ("add_table", "bots"),
        ("remove_table", "old_a"),
        ("remove_table", "old_b"),
        ("add_column", "beta"),
        ("add_column", "zeta"),
        ("add_sequence", None),  # a change without a table comes last
    ]


def test_a_created_tables_other_changes_stay_with_it_in_their_order(desired: sa.MetaData) -> None:
    changes = [
        Change("add_index", "bots", "ix_b"),
        Change("add_column", "beta", "c"),
        Change("add_table", "bots", "bots"),
        Change("add_index", "bots", "ix_a"),
    ]
    order = [change.key for change in canonical_order(group_by_table(changes), desired)]
    assert order == [
        ("add_index", "bots", "ix_b"),
        ("add_table", "bots", "bots"),
        ("add_index", "bots", "ix_a"),
        ("add_column", "beta", "c"),
    ]


def test_nothing_is_lost_or_repeated(desired: sa.MetaData) -> None:
    changes = [*created("users", "ghost"), Change("remove_table", "x", "x"), Change("add_column", "bots", "n")]
    assert sorted(canonical_order(group_by_table(changes), desired), key=repr) == sorted(changes, key=repr)


def schema_diff(changes: tuple[Change, ...]) -> SchemaDiff:
    return SchemaDiff(changes, "models", "db", "sqlite", sa.MetaData(), _load_current=sa.MetaData)


def test_a_schema_diff_is_falsy_when_empty_and_its_risk_is_the_worst_change() -> None:
    empty = schema_diff(())
    assert not empty and empty.risk == "safe"
    assert str(empty).startswith("No changes")
    changes = (Change("add_column", "a", "x", risk="safe"), Change("remove_table", "b", "b", risk="data-loss"))
    assert schema_diff(changes).risk == "data-loss"
    assert len(schema_diff(changes)) == 2 and schema_diff(changes)[1].table == "b"


def test_summary_counts_changes_tables_risks_and_kinds() -> None:
    changes = (
        Change("add_column", "a", "x"),
        Change("add_column", "a", "y", risk="may-fail"),
        Change("remove_table", "b", "b", risk="data-loss"),
    )
    assert schema_diff(changes).summary() == {
        "changes": 3,
        "tables": 2,
        "risk": {"safe": 1, "may-fail": 1, "data-loss": 1},
        "kinds": {"remove_table": 1, "add_column": 2},
    }


def test_by_table_sorts_tables_by_name_and_keeps_each_tables_order() -> None:
    changes = (Change("add_column", "b", "2"), Change("add_column", "a", "1"), Change("add_column", "b", "1"))
    groups = schema_diff(changes).by_table()
    assert list(groups) == ["a", "b"]
    assert [change.name for change in groups["b"]] == ["2", "1"]


def test_schema_diffs_with_the_same_changes_are_equal() -> None:
    changes = (Change("add_column", "a", "x"),)
    assert schema_diff(changes) == schema_diff(changes)
    assert hash(schema_diff(changes)) == hash(schema_diff(changes))
    assert schema_diff(changes) != schema_diff(())
