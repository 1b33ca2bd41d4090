"""The server-default normaliser autogenerate compares by: one default in any backend's spelling is one default."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from schema_tools.settings import _normalize_default, compare_server_default

pytestmark = pytest.mark.unit

INTEGER = sa.Column("n", sa.Integer)
TEXT = sa.Column("s", sa.String(20))
BOOLEAN = sa.Column("b", sa.Boolean)


def same(left: str | None, right: str | None, column: sa.Column[Any] | None) -> bool:
    return _normalize_default(left, column) == _normalize_default(right, column)


@pytest.mark.parametrize("spelling", ["0", "(0)", "((0))", "'0'", "'0'::integer", " ( 0 ) "])
def test_spellings_of_zero_are_one_default(spelling: str) -> None:
    assert same(spelling, "0", INTEGER)


@pytest.mark.parametrize(
    "spelling",
    [
        "CURRENT_TIMESTAMP",
        "current_timestamp",
        "now()",
        "NOW()",
        "current_timestamp()",
        "(CURRENT_TIMESTAMP)",
        "LOCALTIMESTAMP",
    ],
)
def test_spellings_of_the_current_time_are_one_default(spelling: str) -> None:
    assert same(spelling, "CURRENT_TIMESTAMP", None)


@pytest.mark.parametrize(
    "spelling",
    ["'eu'::character varying", "'eu'::character varying(20)", "'eu'::text", "'eu'", "('eu')"],
)
def test_postgresqls_cast_of_a_literal_is_dropped(spelling: str) -> None:
    assert same(spelling, "eu", TEXT)


@pytest.mark.parametrize(
    ("spellings", "value"),
    [(["false", "FALSE", "0", "'0'", "'false'", "(0)"], "false"), (["true", "1", "'1'", "'true'"], "true")],
)
def test_a_boolean_columns_zero_and_one_are_false_and_true(spellings: list[str], value: str) -> None:
    assert {_normalize_default(spelling, BOOLEAN) for spelling in spellings} == {value}


def test_zero_and_one_stay_numbers_on_a_column_that_is_not_boolean() -> None:
    assert _normalize_default("0", INTEGER) == "0"
    assert not same("1", "true", INTEGER)


@pytest.mark.parametrize(
    ("left", "right", "column"),
    [
        ("0", "1", INTEGER),
        ("'eu'", "'us'", TEXT),
        ("false", "true", BOOLEAN),
        ("now()", "'now()'", TEXT),  # a function call is not the text of its name
        ("current_date", "current_timestamp", None),
        ("nextval('a_seq'::regclass)", "nextval('b_seq'::regclass)", INTEGER),
        ("'0'", None, INTEGER),
    ],
)
def test_different_defaults_stay_different(left: str, right: str | None, column: sa.Column[Any] | None) -> None:
    assert not same(left, right, column)


def test_no_default_is_none() -> None:
    assert _normalize_default(None, INTEGER) is None


def test_the_case_of_a_text_literal_is_part_of_the_default() -> None:
    assert not same("'Active'", "'active'", TEXT)


def test_the_spaces_inside_a_text_literal_are_part_of_the_default() -> None:
    assert not same("'a  b'", "'a b'", TEXT)


def test_compare_server_default_says_equal_or_leaves_it_to_alembic() -> None:
    # False: "not different"; None: let Alembic's own comparison decide (never True: we never invent a change).
    assert compare_server_default(None, INTEGER, INTEGER, "'0'::integer", None, "0") is False
    assert compare_server_default(None, INTEGER, INTEGER, "0", None, "1") is None
    assert compare_server_default(None, INTEGER, INTEGER, None, None, None) is None
