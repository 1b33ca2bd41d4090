"""SQLite's bulk catalog reader: exactly what the Inspector returns, in a fixed number of statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bench.schema import build
from schema_tools.dialects import backend_named
from schema_tools.dialects.sqlite_bulk import reflect_all
from tests.support_reflection import assert_exact, statement_counts

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "sampledbs"
FREQTRADE = Path(__file__).resolve().parent.parent.parent / "shared" / "freqtrade" / "dbs"


@pytest.fixture
def engine(sqlite_url: URL) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def features() -> sa.MetaData:
    """Every common type, default, key and constraint the models of an application declare."""
    metadata = sa.MetaData()
    sa.Table(
        "Parent Table",
        metadata,
        sa.Column("Region Code", sa.String(8), primary_key=True),
        sa.Column("Number", sa.Integer, primary_key=True),
        sa.Column("label", sa.Unicode(40), nullable=False, server_default="none"),
        sa.UniqueConstraint("label", name="uq_parent_label"),
    )
    sa.Table(
        "everything",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("big", sa.BigInteger, server_default=sa.text("42")),
        sa.Column("small", sa.SmallInteger, nullable=False),
        sa.Column("price", sa.Numeric(10, 2), server_default=sa.text("(1.5 * 2)")),
        sa.Column("ratio", sa.Float),
        sa.Column("name", sa.String(30), comment="ignored by SQLite"),
        sa.Column("body", sa.Text),
        sa.Column("flag", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("day", sa.Date, server_default=sa.func.current_date()),
        sa.Column("at", sa.DateTime, server_default=sa.func.current_timestamp()),
        sa.Column("at_tz", sa.DateTime(timezone=True)),
        sa.Column("clock", sa.Time),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("doc", sa.JSON),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood", create_constraint=True)),
        sa.Column("guid", sa.Uuid),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("Mixed Case", sa.String(5), unique=True),
        sa.Column("region", sa.String(8)),
        sa.Column("number", sa.Integer),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("everything.id", ondelete="SET NULL")),
        sa.ForeignKeyConstraint(
            ["region", "number"],
            ["Parent Table.Region Code", "Parent Table.Number"],
            name="fk_everything_parent",
            ondelete="CASCADE",
            onupdate="RESTRICT",
        ),
        sa.UniqueConstraint("code", "small", name="uq_code_small"),
        sa.UniqueConstraint("ratio", "body"),
        sa.CheckConstraint("small > 0", name="ck_small_positive"),
        sa.CheckConstraint("big <> small"),
    )
    everything = metadata.tables["everything"]
    sa.Index("ix_everything_name_day", everything.c.name, everything.c.day)
    sa.Index("ux_everything_guid", everything.c.guid, unique=True)
    sa.Index("ix_partial", everything.c.body, sqlite_where=everything.c.flag == sa.true())
    return metadata


# What create_all does not write: inline constraints, deferrable keys, keys to a primary key by table name only,
# generated columns, WITHOUT ROWID and STRICT tables, odd quoting.
HAND_WRITTEN = [
    """CREATE TABLE "inline" (
        id INTEGER PRIMARY KEY,
        email VARCHAR(80) NOT NULL UNIQUE, nick TEXT UNIQUE,
        kind TEXT CHECK (kind IN ('a', 'b')) DEFAULT 'a',
        owner INTEGER REFERENCES everything ON DELETE CASCADE,
        "Parent Region" VARCHAR(8), parent_number INT,
        CONSTRAINT "fk inline parent" FOREIGN KEY ("Parent Region", parent_number)
            REFERENCES "Parent Table" ("Region Code", "Number") DEFERRABLE INITIALLY DEFERRED
    )""",
    """CREATE TABLE generated (
        a INTEGER NOT NULL, b INTEGER,
        total INTEGER GENERATED ALWAYS AS (a + b) STORED,
        half REAL GENERATED ALWAYS AS (a / 2.0) VIRTUAL,
        PRIMARY KEY (a)
    ) WITHOUT ROWID""",
    "CREATE TABLE strict_one (id INTEGER PRIMARY KEY, v ANY, n INT NOT NULL DEFAULT (abs(-3))) STRICT",
    "CREATE TABLE [bracketed] ([the id] integer primary key, `tick` varchar(10), plain)",
    "CREATE TABLE affinity (a DOUBLE PRECISION, b NVARCHAR(12), c BLOB, d MEDIUMINT, e DECIMAL(8, 3), f XYZ)",
    "CREATE VIEW everything_names AS SELECT id, name FROM everything",
    # Keys to a missing table and to a name spelled in another case: no referred columns can be found.
    "CREATE TABLE dangling (id INTEGER PRIMARY KEY, g INTEGER REFERENCES ghost, e INTEGER REFERENCES EVERYTHING)",
    'CREATE TABLE "qu""ote" (id INTEGER PRIMARY KEY AUTOINCREMENT, "a""b" TEXT UNIQUE, c TEXT, UNIQUE (c, id))',
]


def test_every_covered_feature_reads_exactly_as_the_inspector_does(engine: sa.Engine) -> None:
    features().create_all(engine)
    with engine.begin() as connection:
        for statement in HAND_WRITTEN:
            connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert catalog.unreadable == frozenset()
        assert "everything_names" not in catalog.columns  # a view, not a base table
        assert "sqlite_sequence" not in catalog.columns  # SQLite's own, made for AUTOINCREMENT
        partial = {index["name"]: index for index in catalog.indexes["everything"]}["ix_partial"]
        assert str(partial["dialect_options"]["sqlite_where"]) == "flag = 1"
        assert catalog.columns["generated"][2]["computed"]["persisted"] is True
        assert_exact(connection, catalog)


def test_the_bench_schema_reads_exactly_as_the_inspector_does(engine: sa.Engine) -> None:
    build(50).create_all(engine)
    with engine.connect() as connection:
        catalog = reflect_all(connection, {"t0007"})
        assert len(catalog.columns) == 49 and "t0007" not in catalog.unreadable
        assert_exact(connection, catalog, skip=frozenset({"t0007"}))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"sample databases not found at {SAMPLES}")
@pytest.mark.parametrize("name", ["chinook_sqlite", "sakila_sqlite", "northwind_sqlite"])
def test_a_sample_database_reads_exactly_as_the_inspector_does(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.db"
    raw = sqlite3.connect(path)
    raw.executescript((SAMPLES / f"{name}.sql").read_text())
    raw.close()
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert len(catalog.columns) > 5
        assert_exact(connection, catalog)
    engine.dispose()


@pytest.mark.skipif(not FREQTRADE.is_dir(), reason=f"freqtrade databases not found at {FREQTRADE}")
@pytest.mark.parametrize("path", sorted(FREQTRADE.glob("*.sqlite")) if FREQTRADE.is_dir() else [], ids=str)
def test_an_application_database_reads_exactly_as_the_inspector_does(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    with engine.connect() as connection:
        catalog = reflect_all(connection, {"alembic_version"})
        assert catalog.columns
        assert_exact(connection, catalog, skip=frozenset({"alembic_version"}))
    engine.dispose()


def test_the_statement_count_does_not_grow_with_the_tables(new_database: Any) -> None:
    counts = statement_counts(lambda: new_database("sqlite"), reflect_all)
    assert counts[0] == counts[1] <= 10


def test_what_the_reader_cannot_replay_is_left_to_the_full_comparison(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)")
        # An expression index: the Inspector warns and leaves it out.
        connection.exec_driver_sql("CREATE TABLE expr (id INTEGER PRIMARY KEY, v TEXT)")
        connection.exec_driver_sql("CREATE INDEX ix_expr_lower ON expr (lower(v))")
        # A key naming only a view: its primary key is read from the view's columns.
        connection.exec_driver_sql("CREATE VIEW plain_view AS SELECT id FROM plain")
        connection.exec_driver_sql("CREATE TABLE to_view (id INTEGER PRIMARY KEY, p INTEGER REFERENCES plain_view)")
        # A virtual table: its pragmas need its module.
        connection.exec_driver_sql("CREATE VIRTUAL TABLE docs USING fts5(body)")
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert {"expr", "to_view", "docs"} <= catalog.unreadable
        assert "plain" in catalog.columns
        assert "docs_data" in catalog.columns  # fts5's shadow tables are ordinary tables
        with pytest.warns(sa.exc.SAWarning, match="expression-based index"):
            assert_exact(connection, catalog)


def test_a_temp_table_shadowing_a_main_table_is_left_to_the_full_comparison(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE a (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE b (id INTEGER PRIMARY KEY)")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TEMP TABLE a (id INTEGER PRIMARY KEY, x INTEGER REFERENCES b (id))")
        catalog = reflect_all(connection, ())
        assert catalog.unreadable == {"a"}
        assert_exact(connection, catalog)


def test_the_sqlite_backend_offers_the_bulk_catalog(engine: sa.Engine) -> None:
    build(3).create_all(engine)
    with engine.connect() as connection:
        catalog = backend_named("sqlite").bulk_catalog(connection, {"t0001"})
        assert catalog is not None and sorted(catalog.columns) == ["t0000", "t0002"]


def test_the_unique_shortcut_stands_down_for_a_dialect_it_was_not_checked_against() -> None:
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    from schema_tools.dialects.sqlite_bulk_unique import _verified

    class Rewritten(SQLiteDialect_pysqlite):
        def get_unique_constraints(self, *args: Any, **kw: Any) -> list[dict[str, Any]]:
            return []

    assert _verified(SQLiteDialect_pysqlite)
    assert not _verified(Rewritten)
