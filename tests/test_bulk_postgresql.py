"""PostgreSQL's lean key reader: plain keys and indexes exactly as the Inspector reads them, the rest unreadable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bench.schema import build
from schema_tools.dialects.postgresql_bulk import reflect_all
from tests.support_reflection import inspector_catalog, statement_counts
from tests.test_zero_noise import SAMPLES, load_sample

pytestmark = pytest.mark.postgres

KEY_FIELDS = ("primary_keys", "foreign_keys", "indexes", "unique_constraints")
# What the Inspector adds to a plain object and the lean reader leaves out: nothing any comparison reads.
PLAIN_EXTRAS = {"comment": None, "dialect_options": None}


@pytest.fixture
def engine(postgres_url: URL) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def without_plain_extras(value: Any) -> Any:
    """The Inspector's dict without the keys the lean reader omits, each checked to say nothing."""
    if isinstance(value, list):
        return [without_plain_extras(item) for item in value]
    trimmed = dict(value)
    for key in PLAIN_EXTRAS:
        extra = trimmed.pop(key, None)
        if isinstance(extra, dict):
            assert not any(extra.values()), extra  # an option with a value would make the object unreadable
        else:
            assert extra is None, (key, extra)
    return trimmed


def assert_keys_exact(engine: sa.Engine) -> frozenset[str]:
    """Every readable table's keys equal the Inspector's; returns the unreadable tables."""
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        expected = inspector_catalog(connection)
    readable = set(catalog.columns) - catalog.unreadable
    assert readable, "nothing was readable"
    for field in KEY_FIELDS:
        got = getattr(catalog, field)
        for name in readable:
            theirs = without_plain_extras(expected[field][name])
            empty: Any = {"constrained_columns": [], "name": None} if field == "primary_keys" else []
            assert got.get(name, empty) == theirs, (field, name)
    return catalog.unreadable


def features() -> sa.MetaData:
    """Plain keys of every kind: composite and reordered keys, FK actions, deferrable FKs, quoted names."""
    metadata = sa.MetaData()
    sa.Table(
        "Parent Table",
        metadata,
        sa.Column("Region Code", sa.String(8), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(40)),
        sa.UniqueConstraint("label", "number", name="uq parent label"),
    )
    sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(8)),
        sa.Column("number", sa.Integer),
        sa.Column("other", sa.Integer, sa.ForeignKey("child.id", ondelete="SET NULL", onupdate="CASCADE")),
        sa.Column("later", sa.Integer, sa.ForeignKey("child.id", deferrable=True, initially="DEFERRED")),
        sa.Column("soon", sa.Integer, sa.ForeignKey("child.id", deferrable=True, ondelete="RESTRICT")),
        sa.Column("full", sa.Integer, sa.ForeignKey("child.id", match="FULL", ondelete="SET DEFAULT")),
        sa.ForeignKeyConstraint(["number", "region"], ["Parent Table.number", "Parent Table.Region Code"]),
        sa.Index("ix_child_two", "region", "number"),
        sa.Index("ux_child_other", "other", unique=True),
    )
    return metadata


# Each table holds one thing the lean reader does not model: it must say so, never read it as plain.
UNUSUAL = {
    "expression_index": "CREATE INDEX ix_expr ON expression_index (lower(v))",
    "partial_index": "CREATE INDEX ix_part ON partial_index (v) WHERE v IS NOT NULL",
    "descending_index": "CREATE INDEX ix_desc ON descending_index (v DESC)",
    "nulls_first_index": "CREATE INDEX ix_nf ON nulls_first_index (v NULLS FIRST)",
    "covering_index": "CREATE INDEX ix_cover ON covering_index (id) INCLUDE (v)",
    "hash_index": "CREATE INDEX ix_hash ON hash_index USING hash (v)",
    "opclass_index": "CREATE INDEX ix_ops ON opclass_index (v text_pattern_ops)",
    "storage_index": "CREATE INDEX ix_fill ON storage_index (v) WITH (fillfactor = 70)",
    "nulls_index": "CREATE UNIQUE INDEX ix_nnd ON nulls_index (v) NULLS NOT DISTINCT",
    "covering_key": "ALTER TABLE covering_key ADD CONSTRAINT uq_cover UNIQUE (v) INCLUDE (id)",
    "deferred_unique": "ALTER TABLE deferred_unique ADD CONSTRAINT uq_def UNIQUE (v) DEFERRABLE",
    "set_null_columns": "ALTER TABLE set_null_columns ADD COLUMN r int, ADD COLUMN o int, "
    "ADD CONSTRAINT fk_cols FOREIGN KEY (r, o) REFERENCES pair (a, b) ON DELETE SET NULL (o)",
    "elsewhere": "ALTER TABLE elsewhere ADD COLUMN r int REFERENCES other_schema.target (id)",
    "excluded": "ALTER TABLE excluded ADD CONSTRAINT ex EXCLUDE USING btree (v WITH =)",
}


def test_plain_keys_read_exactly_as_the_inspector_does(engine: sa.Engine) -> None:
    features().create_all(engine)
    assert assert_keys_exact(engine) == frozenset()


def test_everything_the_reader_does_not_model_is_unreadable(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE plain (id int PRIMARY KEY, v text)")
        connection.exec_driver_sql("CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b))")
        connection.exec_driver_sql("CREATE SCHEMA other_schema")
        connection.exec_driver_sql("CREATE TABLE other_schema.target (id int PRIMARY KEY)")
        for table, statement in UNUSUAL.items():
            connection.exec_driver_sql(f'CREATE TABLE "{table}" (id int PRIMARY KEY, v text)')
            connection.exec_driver_sql(statement)
    assert assert_keys_exact(engine) == frozenset(UNUSUAL)


def test_an_invalid_index_is_unreadable(engine: sa.Engine) -> None:
    """A failed CREATE INDEX CONCURRENTLY leaves an invalid index, which the Inspector flags as an option."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE plain (id int PRIMARY KEY, v int)")
        connection.exec_driver_sql("CREATE TABLE broken (id int PRIMARY KEY, v int)")
        connection.exec_driver_sql("INSERT INTO broken VALUES (1, 1), (2, 1)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        with pytest.raises(sa.exc.IntegrityError):
            connection.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ux_broken ON broken (v)")
    assert assert_keys_exact(engine) == frozenset({"broken"})


@pytest.mark.skipif(not (SAMPLES / "pagila_postgresql.sql").exists(), reason="../shared/sampledbs is not here")
@pytest.mark.parametrize("sample", ["pagila_postgresql", "chinook_postgresql", "northwind_postgresql"])
def test_sample_databases(sample: str, new_database: Callable[[str], URL]) -> None:
    engine = sa.create_engine(load_sample(sample, new_database), poolclass=NullPool)
    try:
        unreadable = assert_keys_exact(engine)
    finally:
        engine.dispose()
    # Pagila's film table has a full-text GiST index and its payment partitions an expression-free key each.
    assert len(unreadable) <= 3, unreadable


def test_the_statement_count_does_not_grow_with_the_schema(new_database: Callable[[str], URL]) -> None:
    small, large = statement_counts(lambda: new_database("postgresql"), reflect_all)
    assert small == large


def test_the_bench_schema_is_read_whole(engine: sa.Engine) -> None:
    build(30).create_all(engine)
    assert assert_keys_exact(engine) == frozenset()
