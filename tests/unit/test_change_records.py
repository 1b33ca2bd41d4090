"""Change records flattened from Alembic's diff tuples, built by hand: what each kind says and how it is shown."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schema_tools.changes import KINDS, Change, change_from_diff, column_text, default_text, flatten, type_text

pytestmark = pytest.mark.unit


@pytest.fixture
def tables() -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), comment="people")
    bots = sa.Table(
        "bots",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.Integer),
        sa.Column("size", sa.Integer),
        sa.UniqueConstraint("name", "owner_id", name="uq_bots_name_owner"),
        sa.CheckConstraint("size > 0", name="ck_bots_size"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_bots_owner", ondelete="CASCADE"),
    )
    sa.Index("ix_bots_name", bots.c.name, bots.c.size, unique=True)
    sa.Index("ix_bots_owner", bots.c.owner_id)
    return {"users": users, "bots": bots}


@pytest.mark.parametrize("kind", ["add_table", "remove_table"])
def test_a_table_change_counts_its_columns_on_the_side_it_exists(tables: dict[str, sa.Table], kind: str) -> None:
    change = change_from_diff((kind, tables["bots"]), None)
    assert (change.kind, change.table, change.name) == (kind, "bots", "bots")
    assert change.columns == ("id", "name", "owner_id", "size")
    sides = (change.before, change.after)
    assert sides == ((None, "4 columns") if kind == "add_table" else ("4 columns", None))
    assert change.object_type == "table"


@pytest.mark.parametrize("kind", ["add_column", "remove_column"])
def test_a_column_change_shows_the_column_definition(kind: str) -> None:
    column = sa.Column("region", sa.String(8), nullable=False, server_default="eu")
    change = change_from_diff((kind, None, "bots", column), postgresql.dialect())
    assert (change.table, change.name, change.columns) == ("bots", "region", ("region",))
    definition = "VARCHAR(8) NOT NULL DEFAULT 'eu'"
    assert (change.before, change.after) == ((None, definition) if kind == "add_column" else (definition, None))
    assert change.object_type == "column"


def test_modify_type_shows_both_types_in_the_dialects_spelling() -> None:
    change = change_from_diff(("modify_type", None, "bots", "name", {}, sa.String(40), sa.Text()), postgresql.dialect())
    assert (change.kind, change.table, change.name, change.columns) == ("modify_type", "bots", "name", ("name",))
    assert (change.before, change.after) == ("VARCHAR(40)", "TEXT")


def test_modify_nullable_says_null_or_not_null() -> None:
    change = change_from_diff(("modify_nullable", None, "bots", "name", {}, True, False), None)
    assert (change.before, change.after) == ("NULL", "NOT NULL")
    back = change_from_diff(("modify_nullable", None, "bots", "name", {}, False, True), None)
    assert (back.before, back.after) == ("NOT NULL", "NULL")


def test_modify_default_shows_both_defaults_as_sql() -> None:
    old, new = sa.DefaultClause("eu"), sa.DefaultClause(sa.text("now()"))
    change = change_from_diff(("modify_default", None, "bots", "seen", {}, old, new), None)
    assert (change.before, change.after) == ("'eu'", "now()")
    dropped = change_from_diff(("modify_default", None, "bots", "seen", {}, new, None), None)
    assert (dropped.before, dropped.after) == ("now()", None)


def test_modify_comment_keeps_the_comments_as_they_are() -> None:
    change = change_from_diff(("modify_comment", None, "bots", "name", {}, None, "shown name"), None)
    assert (change.before, change.after, change.object_type) == (None, "shown name", "column")


@pytest.mark.parametrize("kind", ["add_index", "remove_index"])
def test_an_index_change_names_its_columns_and_uniqueness(tables: dict[str, sa.Table], kind: str) -> None:
    index = next(index for index in tables["bots"].indexes if index.name == "ix_bots_name")
    change = change_from_diff((kind, index), None)
    assert (change.table, change.name, change.columns) == ("bots", "ix_bots_name", ("name", "size"))
    text = "UNIQUE INDEX (name, size)"
    assert (change.before, change.after) == ((None, text) if kind == "add_index" else (text, None))
    assert change.object_type == "index"


def test_a_plain_index_is_not_called_unique(tables: dict[str, sa.Table]) -> None:
    index = next(index for index in tables["bots"].indexes if index.name == "ix_bots_owner")
    assert change_from_diff(("add_index", index), None).after == "INDEX (owner_id)"


@pytest.mark.parametrize("kind", ["add_constraint", "remove_constraint"])
def test_a_unique_constraint_change_names_its_columns(tables: dict[str, sa.Table], kind: str) -> None:
    unique = next(c for c in tables["bots"].constraints if c.name == "uq_bots_name_owner")
    change = change_from_diff((kind, unique), None)
    assert (change.table, change.name, change.columns) == ("bots", "uq_bots_name_owner", ("name", "owner_id"))
    text = "UNIQUE (name, owner_id)"
    assert (change.before, change.after) == ((None, text) if kind == "add_constraint" else (text, None))
    assert change.object_type == "unique constraint"


def test_a_primary_key_and_a_check_are_not_called_unique(tables: dict[str, sa.Table]) -> None:
    primary = change_from_diff(("add_constraint", tables["bots"].primary_key), None)
    assert primary.after == "PRIMARY KEY (id)"
    check = next(c for c in tables["bots"].constraints if c.name == "ck_bots_size")
    assert change_from_diff(("add_constraint", check), None).after.startswith("CHECK")


@pytest.mark.parametrize("kind", ["add_fk", "remove_fk"])
def test_a_foreign_key_change_shows_where_it_points(tables: dict[str, sa.Table], kind: str) -> None:
    fk = next(c for c in tables["bots"].constraints if c.name == "fk_bots_owner")
    change = change_from_diff((kind, fk), None)
    assert (change.table, change.name, change.columns) == ("bots", "fk_bots_owner", ("owner_id",))
    text = "(owner_id) -> users(id) ON DELETE CASCADE"
    assert (change.before, change.after) == ((None, text) if kind == "add_fk" else (text, None))
    assert change.object_type == "foreign key"


def test_a_foreign_key_to_a_table_in_a_schema_names_the_table_alone() -> None:
    table = sa.Table(
        "bots",
        sa.MetaData(),
        sa.Column("owner_id", sa.Integer),
        sa.ForeignKeyConstraint(["owner_id"], ["auth.users.id"], name="fk_owner"),
    )
    (fk,) = table.foreign_key_constraints
    assert change_from_diff(("add_fk", fk), None).after == "(owner_id) -> users(id)"


def test_a_table_comment_change_shows_the_old_and_the_new_comment(tables: dict[str, sa.Table]) -> None:
    change = change_from_diff(("add_table_comment", tables["users"], "old words"), None)
    assert (change.table, change.before, change.after, change.object_type) == ("users", "old words", "people", "table")
    removed = change_from_diff(("remove_table_comment", sa.Table("bare", sa.MetaData())), None)
    assert (removed.table, removed.after, removed.object_type) == ("bare", None, "table")


def test_a_kind_alembic_may_add_later_is_kept_with_its_raw_tuple() -> None:
    raw = ("add_sequence", "seq_bots")
    change = change_from_diff(raw, None)
    assert (change.kind, change.table, change.name, change.after) == ("add_sequence", None, None, repr(("seq_bots",)))
    assert change.raw == raw


def test_every_kind_alembic_names_has_an_object_type() -> None:
    types = {kind: Change(kind, "t", "n").object_type for kind in KINDS}
    assert {types[kind] for kind in KINDS if "table" in kind} == {"table"}
    assert types["add_column"] == types["modify_nullable"] == "column"
    assert types["remove_index"] == "index"
    assert types["remove_fk"] == "foreign key"


def test_the_key_and_equality_ignore_the_raw_tuple_and_verdicts() -> None:
    first = Change("add_column", "bots", "region", raw=("add_column", None, "bots", sa.Column("region", sa.Integer)))
    second = Change("add_column", "bots", "region")
    assert first.key == ("add_column", "bots", "region")
    assert first == second


def test_to_dict_is_json_ready_and_carries_the_object_type() -> None:
    change = Change("add_index", "bots", "ix", None, "INDEX (a, b)", ("a", "b"), "may-fail", "why", raw=(object(),))
    data = json.loads(json.dumps(change.to_dict()))
    assert data == {
        "kind": "add_index",
        "table": "bots",
        "name": "ix",
        "object_type": "index",
        "before": None,
        "after": "INDEX (a, b)",
        "columns": ["a", "b"],
        "risk": "may-fail",
        "reason": "why",
    }


def test_flatten_opens_nested_lists_and_keeps_tuples_whole() -> None:
    a, b, c = ("add_table", 1), ("modify_type", 2), ("modify_nullable", 3)
    assert list(flatten([a, [b, [c]]])) == [a, b, c]
    assert list(flatten([])) == []


@pytest.mark.parametrize(
    ("type_", "dialect", "expected"),
    [
        (sa.TEXT, None, "TEXT"),  # a class shows as its name, not <class ...>
        (sa.Integer, postgresql.dialect(), "INTEGER"),
        (sa.String(100), postgresql.dialect(), "VARCHAR(100)"),
        (sa.Uuid(), sqlite.dialect(), "CHAR(32)"),
        (sa.Uuid(), postgresql.dialect(), "UUID"),
        (None, None, "?"),
        (postgresql.INET(), sqlite.dialect(), "INET()"),  # the dialect cannot render it: its repr
    ],
)
def test_type_text(type_: Any, dialect: Any, expected: str) -> None:
    assert type_text(type_, dialect) == expected


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        (None, None),
        (sa.DefaultClause("eu"), "'eu'"),
        (sa.DefaultClause(sa.text("0")), "0"),
        (sa.DefaultClause(sa.func.now()), "now()"),
        (sa.DefaultClause(sa.literal(5)), "5"),
        ("plain", "'plain'"),
    ],
)
def test_default_text(default: Any, expected: str | None) -> None:
    assert default_text(default) == expected


def test_column_text_lists_type_nullability_default_and_primary_key() -> None:
    key = sa.Column("id", sa.Integer, primary_key=True)
    assert column_text(key, None) == "INTEGER NOT NULL PRIMARY KEY"
    assert column_text(sa.Column("n", sa.Integer, server_default=sa.text("1")), None) == "INTEGER NULL DEFAULT 1"
