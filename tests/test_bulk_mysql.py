"""MariaDB's bulk catalog reader: exactly what the Inspector returns, in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bench.schema import build
from schema_tools.dialects import backend_named
from schema_tools.dialects.mysql_bulk import create_table_texts, reflect_all
from schema_tools.dialects.mysql_bulk_innodb import innodb_foreign_keys
from schema_tools.dialects.mysql_bulk_read import read_tables
from tests.support_reflection import assert_exact, statement_counts

pytestmark = pytest.mark.mysql


@pytest.fixture
def engine(mysql_url: URL) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def features() -> sa.MetaData:
    """Every common type, default, key, constraint and MySQL option the models of an application declare."""
    metadata = sa.MetaData()
    sa.Table(
        "Parent Table",
        metadata,
        sa.Column("Region Code", sa.String(8), primary_key=True),
        sa.Column("Number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("label", sa.Unicode(40), nullable=False, server_default="it's \\ 'quoted'"),
        sa.UniqueConstraint("label", name="uq_parent_label"),
        comment="parents' table\nwith a second line and a \\ backslash",
    )
    sa.Table(
        "everything",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("big", sa.BigInteger, server_default=sa.text("42")),
        sa.Column("small", sa.SmallInteger, nullable=False),
        sa.Column("price", sa.Numeric(10, 2), server_default=sa.text("(1.5 * 2)")),
        sa.Column("ratio", sa.Float, server_default="0.25"),
        sa.Column("name", sa.String(30), comment="the name, 'quoted'"),
        sa.Column("body", sa.Text),
        sa.Column("flag", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("day", sa.Date, server_default=sa.text("(curdate())")),
        sa.Column("at", sa.DateTime, server_default=sa.func.now()),
        sa.Column("at_tz", sa.DateTime(timezone=True)),
        sa.Column("touched", mysql.TIMESTAMP(fsp=3), server_default=sa.text("CURRENT_TIMESTAMP(3) ON UPDATE now(3)")),
        sa.Column("clock", sa.Time),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("doc", sa.JSON, comment="json"),
        sa.Column("mood", sa.Enum("happy", "sad", "it's", name="mood"), server_default="sad"),
        sa.Column("tags", mysql.SET("a", "b c", "it's")),
        sa.Column("guid", sa.Uuid),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("Mixed Case", sa.String(5), unique=True),
        sa.Column("latin", mysql.VARCHAR(20, charset="latin1")),
        sa.Column("binary_order", mysql.VARCHAR(20, collation="utf8mb4_bin")),
        sa.Column("unsigned", mysql.INTEGER(unsigned=True, zerofill=True), server_default="7"),
        sa.Column("bits", mysql.BIT(4)),
        sa.Column("year", mysql.YEAR),
        sa.Column("twice", sa.Integer, sa.Computed("big * 2")),
        sa.Column("upper_name", sa.String(30), sa.Computed("upper(name)", persisted=True)),
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
        sa.UniqueConstraint("ratio", "small"),
        sa.CheckConstraint("small > 0", name="ck_small_positive"),
        sa.CheckConstraint("big <> small"),
        comment="all of it",
    )
    everything = metadata.tables["everything"]
    sa.Index("ix_everything_name_day", everything.c.name, everything.c.day)
    sa.Index("ux_everything_guid", everything.c.guid, unique=True)
    sa.Index("ix_prefix", everything.c.body, everything.c.name, mysql_length={"body": 10, "name": 4})
    sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer, sa.ForeignKey("everything.id", name="zz_last", onupdate="CASCADE")),
        sa.Column("b", sa.Integer, sa.ForeignKey("everything.id", name="Aa first", ondelete="NO ACTION")),
        sa.Column("c", sa.Integer, sa.ForeignKey("everything.id", name="m-middle")),
    )
    return metadata


# What create_all does not write: index comments, column-level CHECKs, invisible columns, descending keys.
HAND_WRITTEN = [
    """CREATE TABLE `odd ``names``` (
        `the id` INT NOT NULL AUTO_INCREMENT,
        `back``tick` VARCHAR(10) DEFAULT 'a\\nb' COMMENT 'tab\there',
        checked INT COMMENT 'col check' CHECK (checked > 0),
        hidden INT INVISIBLE DEFAULT 3,
        stamp TIMESTAMP NULL DEFAULT NULL,
        PRIMARY KEY (`the id`),
        KEY ix_commented (`back``tick`, checked DESC) COMMENT 'why: ''speed'''
    ) COLLATE utf8mb4_unicode_ci""",
    "CREATE VIEW everything_names AS SELECT id, name FROM everything",
    # USING is not in information_schema (STATISTICS says BTREE for InnoDB whatever was asked): SQLAlchemy 2.1's
    # get_indexes does not read it either. Should a later one return it as an option, this table tells.
    "CREATE TABLE hashed (id INT PRIMARY KEY, v INT, w INT, KEY ix_v (v) USING HASH, KEY ix_w (w) USING BTREE)",
]


def test_every_covered_feature_reads_exactly_as_the_inspector_does(engine: sa.Engine) -> None:
    features().create_all(engine)
    with engine.begin() as connection:
        for statement in HAND_WRITTEN:
            connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert catalog.unreadable == frozenset()
        assert set(catalog.columns) == {"Parent Table", "everything", "child", "odd `names`", "hashed"}
        assert [fk["name"] for fk in catalog.foreign_keys["child"]] == ["Aa first", "m-middle", "zz_last"]
        indexes = {index["name"]: index for index in catalog.indexes["everything"]}
        assert indexes["ix_prefix"]["dialect_options"]["mysql_length"] == {"body": 10, "name": 4}
        assert catalog.comments["Parent Table"]["text"] == "parents' table\nwith a second line and a \\ backslash"
        assert_exact(connection, catalog)
        # "Parent Table" is "Parent@0020Table" in InnoDB's dictionary: foreign keys came from information_schema.
        assert not innodb_foreign_keys(connection, str(connection.dialect.default_schema_name), {}, ())


def test_the_rebuilt_ddl_is_what_show_create_table_prints(engine: sa.Engine) -> None:
    """Line for line, but for the table options (only COMMENT is read) and USING, which the parser drops."""
    features().create_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(HAND_WRITTEN[0])
    with engine.connect() as connection:
        texts, unreadable = create_table_texts(connection, ())
        assert not unreadable
        for name, text in texts.items():
            quoted = name.replace("`", "``")
            shown = connection.exec_driver_sql(f"SHOW CREATE TABLE `{quoted}`").one()[1]
            rebuilt, printed = text.split("\n")[:-1], shown.split("\n")[:-1]
            assert sorted(rebuilt) == sorted(printed), name
            # Keys may come in another order: reflection sorts them by name.
            assert [line for line in rebuilt if "KEY `" not in line] == [x for x in printed if "KEY `" not in x]
            assert ("COMMENT=" in text.split("\n")[-1]) == ("COMMENT=" in shown.split("\n")[-1])


def test_the_bench_schema_reads_exactly_as_the_inspector_does(engine: sa.Engine) -> None:
    build(50).create_all(engine)
    with engine.connect() as connection:
        catalog = reflect_all(connection, {"t0007"})
        assert len(catalog.columns) == 49 and "t0007" not in catalog.unreadable
        assert_exact(connection, catalog, skip=frozenset({"t0007"}))
        # Plain names: the foreign keys came from InnoDB's dictionary (the test user has PROCESS).
        tables = read_tables(connection, ())
        assert innodb_foreign_keys(connection, str(connection.dialect.default_schema_name), tables, ())
        assert sorted(fk[0][1].referred_table for fk in tables["t0009"].foreign_keys.values()) == ["t0007", "t0008"]


def test_the_statement_count_does_not_grow_with_the_tables(new_database: Callable[[str], URL]) -> None:
    counts = statement_counts(lambda: new_database("mysql"), reflect_all)
    assert counts[0] == counts[1] <= 10


def test_what_the_reader_cannot_rebuild_is_left_to_the_full_comparison(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE plain (id INT PRIMARY KEY, v VARCHAR(20))")
        # A FULLTEXT key may name a parser plugin, which information_schema does not show.
        connection.exec_driver_sql("CREATE TABLE searched (id INT PRIMARY KEY, v TEXT, FULLTEXT KEY ft (v))")
        # An IGNORED key: the parser does not understand the line, warns and drops the key.
        connection.exec_driver_sql("CREATE TABLE ignoring (id INT PRIMARY KEY, v INT, KEY ix (v) IGNORED)")
        # A type SQLAlchemy does not know: it warns and reflects NullType.
        connection.exec_driver_sql("CREATE TABLE addresses (id INT PRIMARY KEY, ip INET6)")
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert catalog.unreadable == {"searched", "ignoring", "addresses"}
        assert set(catalog.columns) == {"plain"}
        with pytest.warns(sa.exc.SAWarning):
            assert_exact(connection, catalog)


def test_a_session_that_changes_show_create_table_leaves_every_table_to_the_full_comparison(
    engine: sa.Engine,
) -> None:
    build(3).create_all(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_FIELD_OPTIONS')")
        catalog = reflect_all(connection, ())
        assert catalog.unreadable == {"t0000", "t0001", "t0002"}
        assert not catalog.columns


def test_the_mysql_backend_offers_the_bulk_catalog(engine: sa.Engine) -> None:
    build(3).create_all(engine)
    with engine.connect() as connection:
        catalog = backend_named("mysql").bulk_catalog(connection, {"t0001"})
        assert catalog is not None
        assert set(catalog.columns) == {"t0000", "t0002"}
        assert_exact(connection, catalog, skip=frozenset({"t0001"}))


def test_a_foreign_key_to_another_database_names_that_database(
    engine: sa.Engine, new_database: Callable[[str], URL]
) -> None:
    other = new_database("mysql").database
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE `{other}`.owners (id INT PRIMARY KEY)")
        connection.exec_driver_sql(
            f"CREATE TABLE pets (id INT PRIMARY KEY, owner INT, "
            f"CONSTRAINT fk_owner FOREIGN KEY (owner) REFERENCES `{other}`.owners (id) ON DELETE CASCADE)"
        )
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert catalog.foreign_keys["pets"][0]["referred_schema"] == other
        assert_exact(connection, catalog)
