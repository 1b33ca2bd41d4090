"""Each backend's type-equivalence facts, pair by pair, and what the comparison then reports (no database)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from schema_tools.dialects import backend_of
from schema_tools.settings import compare_server_default

pytestmark = pytest.mark.unit

DIALECTS: dict[str, Dialect] = {
    "mysql": mysql.dialect(),
    "postgresql": postgresql.dialect(),
    "sqlite": sqlite.dialect(),
}


def reported(name: str, inspected: TypeEngine[Any], metadata: TypeEngine[Any]) -> bool:
    """Does the comparison report a type change: the backend's facts first, then Alembic's own compare_type."""
    dialect = DIALECTS[name]
    if backend_of(dialect).same_type(inspected, metadata, dialect):
        return False
    impl = MigrationContext.configure(dialect=dialect).impl
    return bool(impl.compare_type(sa.Column("c", inspected), sa.Column("c", metadata)))


# (backend, reflected type, model type): the backend stores the model's type as the reflected one.
FIXED = [
    ("mysql", mysql.DOUBLE(), sa.Float(53)),
    ("mysql", mysql.DOUBLE(), sa.Float(25)),
    ("mysql", mysql.DOUBLE(), sa.DOUBLE_PRECISION()),
    ("mysql", mysql.FLOAT(), sa.Float(1)),
    ("mysql", mysql.FLOAT(), sa.Float(24)),
    ("mysql", mysql.TINYINT(display_width=1), sa.Boolean()),
    ("postgresql", postgresql.REAL(), sa.Float(24)),
    ("postgresql", postgresql.REAL(), sa.Float(1)),
    ("postgresql", postgresql.DOUBLE_PRECISION(), sa.Float(53)),
    ("postgresql", postgresql.DOUBLE_PRECISION(), sa.Float()),
]
# Pairs Alembic already calls equal, and the facts leave to it (they say nothing: None).
ALREADY_EQUAL = [
    ("mysql", mysql.DOUBLE(), sa.Double()),
    ("mysql", mysql.FLOAT(), sa.Float()),
    ("mysql", mysql.DECIMAL(10, 2), sa.Numeric(10, 2)),
    ("mysql", mysql.DECIMAL(10, 0), sa.Numeric(10)),
    ("mysql", mysql.DATETIME(), sa.DateTime(timezone=True)),
    ("postgresql", postgresql.DOUBLE_PRECISION(), sa.Double()),
    ("postgresql", postgresql.TIMESTAMP(timezone=True), sa.DateTime(timezone=True)),
    ("postgresql", postgresql.NUMERIC(10, 0), sa.Numeric(10)),
    ("sqlite", sa.FLOAT(), sa.Float(53)),
    ("sqlite", sa.REAL(), sa.REAL()),
]
# Real changes: still reported. (FLOAT -> Float(53) on MySQL and DOUBLE PRECISION -> Float(24) on PostgreSQL are
# not: Alembic's own comparison calls them equal, and the facts only ever vouch for sameness.)
CHANGED = [
    ("mysql", mysql.FLOAT(), sa.Double()),
    ("mysql", mysql.DOUBLE(), sa.Float(24)),
    ("mysql", mysql.DOUBLE(), sa.Float()),
    ("mysql", mysql.DOUBLE(unsigned=True), sa.Float(53)),
    ("mysql", mysql.VARCHAR(50), sa.String(20)),
    ("mysql", mysql.INTEGER(), sa.BigInteger()),
    ("mysql", mysql.DECIMAL(10, 3), sa.Numeric(10, 2)),
    ("postgresql", postgresql.REAL(), sa.Float(53)),
    ("postgresql", postgresql.REAL(), sa.Float()),
    ("postgresql", postgresql.REAL(), sa.Double()),
    ("postgresql", postgresql.VARCHAR(50), sa.String(20)),
    ("postgresql", postgresql.INTEGER(), sa.BigInteger()),
    ("postgresql", postgresql.TIMESTAMP(), sa.DateTime(timezone=True)),
    ("postgresql", postgresql.NUMERIC(10, 3), sa.Numeric(10, 2)),
    ("sqlite", sa.VARCHAR(50), sa.String(20)),
    ("sqlite", sa.INTEGER(), sa.BigInteger()),
]


def _id(case: tuple[str, TypeEngine[Any], TypeEngine[Any]]) -> str:
    return f"{case[0]}:{case[1]!r}~{case[2]!r}"


@pytest.mark.parametrize("case", FIXED, ids=_id)
def test_a_type_the_backend_stores_as_the_reflected_one_is_the_same(case: tuple[str, Any, Any]) -> None:
    name, inspected, metadata = case
    dialect = DIALECTS[name]
    assert backend_of(dialect).same_type(inspected, metadata, dialect) is True
    assert not reported(name, inspected, metadata)


@pytest.mark.parametrize("case", ALREADY_EQUAL, ids=_id)
def test_pairs_alembic_already_calls_equal_are_left_to_it(case: tuple[str, Any, Any]) -> None:
    name, inspected, metadata = case
    dialect = DIALECTS[name]
    assert backend_of(dialect).same_type(inspected, metadata, dialect) is None
    assert not reported(name, inspected, metadata)


@pytest.mark.parametrize("case", CHANGED, ids=_id)
def test_a_real_type_change_is_still_reported(case: tuple[str, Any, Any]) -> None:
    name, inspected, metadata = case
    dialect = DIALECTS[name]
    assert backend_of(dialect).same_type(inspected, metadata, dialect) is None
    assert reported(name, inspected, metadata)


def test_a_type_without_a_spelling_is_left_to_alembic() -> None:
    dialect = DIALECTS["mysql"]
    assert backend_of(dialect).same_type(sa.types.NullType(), sa.Float(53), dialect) is None


@pytest.mark.parametrize(
    ("inspected", "declared"),
    [("NULL::character varying", "NULL"), ("NULL", "NULL"), (None, "NULL"), ("NULL::integer", None)],
)
def test_default_null_and_no_default_are_one(inspected: str | None, declared: str | None) -> None:
    column = sa.Column("c", sa.String(20), server_default=None if declared is None else sa.text(declared))
    assert compare_server_default(None, column, column, inspected, column.server_default, declared) is False


@pytest.mark.parametrize(
    ("inspected", "declared"), [("'NULL'::character varying", "NULL"), ("'x'", "NULL"), (None, "0")]
)
def test_a_null_string_or_a_real_default_is_not_no_default(inspected: str | None, declared: str) -> None:
    column = sa.Column("c", sa.String(20), server_default=sa.text(declared))
    assert compare_server_default(None, column, column, inspected, column.server_default, declared) is None
