"""Type-change facts the rules rest on: which `old -> new` widens, narrows, or needs a cast that may fail."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from schema_tools.rules.types import as_type, classify_type_change, family, widens_text
from schema_tools.rules.verdict import DATA_LOSS, MAY_FAIL, SAFE

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        (sa.Boolean(), "boolean"),
        (sa.SmallInteger(), "integer"),
        (sa.BigInteger(), "integer"),
        (mysql.TINYINT(), "integer"),
        (sa.Float(), "float"),
        (sa.Double(), "float"),
        (sa.REAL(), "float"),
        (postgresql.DOUBLE_PRECISION(), "float"),
        (sa.Numeric(10, 2), "numeric"),
        (sa.DateTime(), "datetime"),
        (sa.Date(), "date"),
        (sa.Time(), "time"),
        (sa.JSON(), "json"),
        (postgresql.JSONB(), "json"),
        (sa.String(10), "string"),
        (sa.Text(), "string"),
        (sa.Unicode(5), "string"),
        (sa.LargeBinary(), "binary"),
        (sa.Uuid(), "other"),
        (sa.ARRAY(sa.Integer), "other"),
        (sa.types.NullType(), "other"),
        (None, "other"),
    ],
)
def test_family_sorts_types_into_the_kinds_the_rules_reason_about(type_: Any, expected: str) -> None:
    assert family(type_) == expected


def test_family_of_a_type_class_is_other_until_it_is_made_an_instance() -> None:
    # family() reads instances; as_type() is what turns a revision's `type_=sa.TEXT` into one.
    assert family(sa.TEXT) == "other"
    assert family(as_type(sa.TEXT)) == "string"


def test_as_type_makes_an_instance_of_a_class_and_keeps_an_instance_as_it_is() -> None:
    made = as_type(sa.Integer)
    assert isinstance(made, sa.Integer)
    given = sa.String(12)
    assert as_type(given) is given
    assert as_type(None) is None


@pytest.mark.parametrize(
    ("old", "new", "risk"),
    [
        (sa.String(10), sa.String(20), SAFE),
        (sa.String(20), sa.String(20), SAFE),
        (sa.String(20), sa.String(10), DATA_LOSS),
        (sa.String(10), sa.Text(), SAFE),
        (sa.String(), sa.String(), SAFE),
        (sa.Text(), sa.String(255), DATA_LOSS),
        (sa.LargeBinary(10), sa.LargeBinary(5), DATA_LOSS),
        (sa.LargeBinary(5), sa.LargeBinary(), SAFE),
    ],
)
def test_lengths_widen_or_narrow(old: Any, new: Any, risk: str) -> None:
    assert classify_type_change(old, new)[0] == risk


def test_a_narrowed_length_names_both_lengths() -> None:
    risk, why = classify_type_change(sa.String(40), sa.String(8))
    assert risk == DATA_LOSS
    assert "40" in why and "8" in why


@pytest.mark.parametrize(
    ("old", "new", "risk"),
    [
        (sa.SmallInteger(), sa.Integer(), SAFE),
        (sa.Integer(), sa.BigInteger(), SAFE),
        (sa.SmallInteger(), sa.BigInteger(), SAFE),
        (sa.Integer(), sa.Integer(), SAFE),
        (sa.BigInteger(), sa.Integer(), DATA_LOSS),
        (sa.Integer(), sa.SmallInteger(), DATA_LOSS),
        (sa.BigInteger(), sa.SmallInteger(), DATA_LOSS),
    ],
)
def test_integers_rank_smallint_below_integer_below_bigint(old: Any, new: Any, risk: str) -> None:
    assert classify_type_change(old, new)[0] == risk


@pytest.mark.parametrize(
    ("old", "new", "risk"),
    [
        (sa.Float(), sa.Double(), SAFE),
        (sa.REAL(), postgresql.DOUBLE_PRECISION(), SAFE),
        (sa.Float(precision=24), sa.Float(precision=53), SAFE),
        (sa.Double(), sa.Double(), SAFE),
        (sa.Double(), sa.REAL(), DATA_LOSS),
        (postgresql.DOUBLE_PRECISION(), sa.Float(precision=10), DATA_LOSS),
        (sa.Float(precision=53), sa.Float(precision=24), DATA_LOSS),
    ],
)
def test_float_precision_is_single_or_double(old: Any, new: Any, risk: str) -> None:
    assert classify_type_change(old, new)[0] == risk


@pytest.mark.parametrize(
    ("old", "new", "risk"),
    [
        (sa.Numeric(10, 2), sa.Numeric(12, 2), SAFE),
        (sa.Numeric(10, 2), sa.Numeric(12, 4), SAFE),
        (sa.Numeric(10, 2), sa.Numeric(), SAFE),
        (sa.Numeric(10, 2), sa.Numeric(8, 2), DATA_LOSS),
        (sa.Numeric(10, 4), sa.Numeric(10, 2), DATA_LOSS),
        (sa.Numeric(), sa.Numeric(10, 2), DATA_LOSS),
    ],
)
def test_numeric_precision_and_scale(old: Any, new: Any, risk: str) -> None:
    assert classify_type_change(old, new)[0] == risk


def test_numeric_with_more_scale_in_the_same_precision_narrows_the_integer_part() -> None:
    # NUMERIC(10, 2) holds 99999999.99; NUMERIC(10, 4) only 999999.9999: 12345678.00 no longer fits.
    assert classify_type_change(sa.Numeric(10, 2), sa.Numeric(10, 4))[0] != SAFE


def test_integer_to_a_small_numeric_is_not_a_widening() -> None:
    assert classify_type_change(sa.Integer(), sa.Numeric(3, 0))[0] != SAFE
    assert classify_type_change(sa.SmallInteger(), sa.Numeric(5, 0))[0] == SAFE
    assert classify_type_change(sa.BigInteger(), sa.Numeric(18, 0))[0] != SAFE


def test_an_enum_that_loses_a_label_is_data_loss_and_one_that_gains_a_label_is_safe() -> None:
    old = sa.Enum("aa", "b", name="state")
    assert classify_type_change(old, sa.Enum("aa", "c", name="state"))[0] == DATA_LOSS
    assert classify_type_change(old, sa.Enum("aa", "b", "c", name="state"))[0] == SAFE


@pytest.mark.parametrize(
    ("old", "new", "risk"),
    [
        (sa.Boolean(), sa.Integer(), SAFE),
        (sa.Integer(), sa.Float(), SAFE),
        (sa.Integer(), sa.Numeric(20, 0), SAFE),
        (sa.Date(), sa.DateTime(), SAFE),
        (sa.Float(), sa.Integer(), DATA_LOSS),
        (sa.Numeric(10, 2), sa.Integer(), DATA_LOSS),
        (sa.DateTime(), sa.Date(), DATA_LOSS),
        (sa.DateTime(), sa.Time(), DATA_LOSS),
        (sa.Integer(), sa.Boolean(), MAY_FAIL),
        (sa.Time(), sa.DateTime(), MAY_FAIL),
        (sa.String(10), sa.Integer(), MAY_FAIL),
        (sa.Text(), sa.DateTime(), MAY_FAIL),
    ],
)
def test_changes_across_families(old: Any, new: Any, risk: str) -> None:
    assert classify_type_change(old, new)[0] == risk


def test_anything_to_unbounded_text_is_safe_but_to_bounded_text_needs_a_cast() -> None:
    assert classify_type_change(sa.Integer(), sa.Text())[0] == SAFE
    assert classify_type_change(sa.Uuid(), sa.String())[0] == SAFE
    assert classify_type_change(sa.Integer(), sa.String(5))[0] == MAY_FAIL
    assert classify_type_change(sa.Uuid(), sa.String(36))[0] == MAY_FAIL


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (sa.DateTime(), sa.DateTime(timezone=True)),
        (sa.JSON(), postgresql.JSONB()),
        (sa.Uuid(), sa.ARRAY(sa.Integer)),
        (sa.Boolean(), sa.Boolean(create_constraint=True)),
        (sa.types.NullType(), sa.Integer()),
    ],
)
def test_a_change_the_rules_cannot_reason_about_may_fail_never_passes_as_safe(old: Any, new: Any) -> None:
    assert classify_type_change(old, new)[0] == MAY_FAIL


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (sa.String(10), sa.String(10), True),
        (sa.String(10), sa.String(11), True),
        (sa.String(10), sa.Text(), True),
        (sa.Text(), sa.Text(), True),
        (sa.String(10), sa.String(9), False),
        (sa.Text(), sa.String(10), False),
        (sa.Integer(), sa.Text(), False),
        (sa.String(10), sa.Integer(), False),
    ],
)
def test_widens_text_only_for_string_to_a_longer_or_unbounded_string(old: Any, new: Any, expected: bool) -> None:
    assert widens_text(old, new) is expected


def test_what_a_backend_really_stores_decides_a_float_change() -> None:
    """PostgreSQL's FLOAT is double precision and SQLite's REAL always a double: only MySQL's FLOAT is single."""
    from schema_tools.dialects import backend_named

    assert classify_type_change(sa.Double(), sa.Float())[0] == DATA_LOSS  # as declared: FLOAT may be single
    assert classify_type_change(sa.Double(), sa.Float(), backend_named("postgresql"))[0] == SAFE
    assert classify_type_change(sa.Double(), sa.REAL(), backend_named("postgresql"))[0] == DATA_LOSS
    assert classify_type_change(sa.Double(), sa.REAL(), backend_named("sqlite"))[0] == SAFE
    assert classify_type_change(sa.Double(), sa.Float(), backend_named("mysql"))[0] == DATA_LOSS
