"""Zero dialect noise: what create_all (or the repo's history) builds, diff() against the same models calls equal."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from schema_tools.diff import diff
from schema_tools.portable import portable_type
from schema_tools.settings import load_metadata
from schema_tools.sources import reflect_source
from tests.support_project import upgrade_database

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "sampledbs"
SAMPLE_NAMES = sorted(path.stem for path in SAMPLES.glob("*.sql")) if SAMPLES.is_dir() else []


def every_generic_type() -> sa.MetaData:
    """A column of every generic SQLAlchemy type, and server defaults of each common kind."""
    metadata = sa.MetaData()
    sa.Table(
        "every_type",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("small", sa.SmallInteger),
        sa.Column("big", sa.BigInteger),
        sa.Column("flag", sa.Boolean),
        sa.Column("name", sa.String(50)),
        sa.Column("body", sa.Text),
        sa.Column("uname", sa.Unicode(40)),
        sa.Column("ubody", sa.UnicodeText),
        sa.Column("ratio", sa.Float),
        sa.Column("ratio24", sa.Float(24)),
        sa.Column("ratio53", sa.Float(53)),
        sa.Column("dbl", sa.Double),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("whole", sa.Numeric(10)),
        sa.Column("amount", sa.Numeric),
        sa.Column("day", sa.Date),
        sa.Column("at", sa.DateTime),
        sa.Column("at_tz", sa.DateTime(timezone=True)),
        sa.Column("clock", sa.Time),
        sa.Column("span", sa.Interval),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("doc", sa.JSON),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
        sa.Column("color", sa.Enum("red", "green", name="color", native_enum=False)),
        sa.Column("token", sa.Uuid),
    )
    sa.Table(
        "with_defaults",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("count", sa.Integer, server_default="0", nullable=False),
        sa.Column("answer", sa.Integer, server_default=sa.text("42")),
        sa.Column("ratio", sa.Float, server_default="1.5"),
        sa.Column("price", sa.Numeric(10, 2), server_default="0.00"),
        sa.Column("state", sa.String(20), server_default="new"),
        sa.Column("quoted", sa.String(20), server_default=sa.text("'it''s'")),
        sa.Column("empty", sa.String(20), server_default=""),
        sa.Column("no_default", sa.String(20), server_default=sa.text("NULL")),
        sa.Column("on", sa.Boolean, server_default=sa.true(), nullable=False),
        sa.Column("off", sa.Boolean, server_default=sa.false()),
        sa.Column("created", sa.DateTime, server_default=sa.func.now()),
        sa.Column("created_tz", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("updated", sa.DateTime, server_default=sa.func.current_timestamp()),
    )
    sa.Table("identity", metadata, sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True))
    return metadata


def create(url: URL, metadata: sa.MetaData) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


SCHEMAS: dict[str, Callable[[], sa.MetaData]] = {
    "every_generic_type": every_generic_type,
    "management_server": lambda: load_metadata("management_server.models:Base.metadata"),
}


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_create_all_then_diff_is_empty(schema: str, db_url: URL) -> None:
    metadata = SCHEMAS[schema]()
    create(db_url, metadata)
    result = diff(metadata, db_url)
    assert not result, str(result)


def test_upgrade_head_then_diff_is_empty(db_url: URL) -> None:
    upgrade_database(db_url)
    result = diff(None, db_url)
    assert not result, str(result)


# -- the sample databases, reflected into models and built by create_all on every backend ---------------------------


def load_sample(name: str, new_database: Callable[[str], URL]) -> URL:
    """The sample's DDL loaded into a new database of the backend it was written for."""
    source = "sqlite" if name.endswith("_sqlite") else "postgresql"
    url = new_database(source)
    text = (SAMPLES / f"{name}.sql").read_text()
    if source == "sqlite":
        connection = sqlite3.connect(str(url.database))
        connection.executescript(text)
        connection.close()
        return url
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute("\n".join(line for line in text.splitlines() if "OWNER TO" not in line))  # type: ignore[union-attr]
        driver.commit()  # type: ignore[union-attr]
    engine.dispose()
    return url


def creatable(reflected: sa.MetaData, source: str, target: sa.engine.Dialect) -> sa.MetaData:
    """The reflected tables as models `target` can create: portable types, no CHECK in the source's SQL dialect.

    What create_all cannot build is changed in the models (a PostgreSQL DOMAIN becomes its base type, an indexed
    TEXT a VARCHAR(255) on MySQL); the comparison itself is left as it is.
    """
    metadata = sa.MetaData()
    for table in reflected.tables.values():
        keyed = {column.name for index in table.indexes for column in index.columns}
        keyed |= {column.name for c in table.constraints for column in getattr(c, "columns", ())}
        for column in table.columns:  # before copying: a named type copied along would be created with the copy
            adapt_column(column, source, target, keyed)
        copied = table.to_metadata(metadata)
        if target.name != source:
            for check in [c for c in copied.constraints if isinstance(c, sa.CheckConstraint)]:
                copied.constraints.discard(check)
        for foreign_key in copied.foreign_key_constraints:
            if foreign_key.ondelete == "SET NULL" and not all(column.nullable for column in foreign_key.columns):
                foreign_key.ondelete = None  # PostgreSQL accepts SET NULL on a NOT NULL column, MariaDB refuses it
        if len(copied.primary_key.columns) > 1:
            for column in copied.primary_key.columns:
                column.autoincrement = False
    return metadata


def adapt_column(column: sa.Column[object], source: str, target: sa.engine.Dialect, keyed: set[str]) -> None:
    if isinstance(column.type, postgresql.DOMAIN):
        column.type = column.type.data_type
    if isinstance(column.type, sa.Enum) and target.name != source:
        column.type = sa.Enum(*column.type.enums, name=column.type.name)
    column.type = portable_type(column.type, target)
    if target.name == "mysql" and column.name in keyed and isinstance(column.type, sa.Text):
        column.type = sa.String(255)
    if not isinstance(column.server_default, sa.DefaultClause):
        return
    text = str(getattr(column.server_default.arg, "text", column.server_default.arg)).lower()
    if text.startswith("nextval(") or (target.name != source and "::" in text):
        column.server_default = None  # a sequence create_all does not make (SERIAL makes its own), or a cast
    elif target.name == "mysql" and isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime):
        column.server_default = None  # MariaDB has no CURRENT_TIMESTAMP default for a DATE


@pytest.mark.skipif(not SAMPLE_NAMES, reason=f"shared sample databases not found at {SAMPLES}")
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_a_sample_schema_built_by_create_all_diffs_empty(
    name: str, backend: str, new_database: Callable[[str], URL]
) -> None:
    source_url = load_sample(name, new_database)
    target = new_database(backend)
    engine = sa.create_engine(target, poolclass=NullPool)
    models = creatable(reflect_source(source_url), source_url.get_backend_name(), engine.dialect)
    engine.dispose()
    create(target, models)
    result = diff(models, target)
    assert not result, str(result)


# -- real changes are still reported --------------------------------------------------------------------------------


def narrower(metadata: sa.MetaData) -> sa.MetaData:
    wanted = sa.MetaData()
    sa.Table(
        "t",
        wanted,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(20)),
        sa.Column("counter", sa.BigInteger),
        sa.Column("ratio", sa.Double),
        sa.Column("flag", sa.Boolean),
    )
    return wanted


def test_real_type_changes_are_still_reported(db_url: URL) -> None:
    built = sa.MetaData()
    sa.Table(
        "t",
        built,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
        sa.Column("counter", sa.Integer),
        sa.Column("ratio", sa.Float(24)),
        sa.Column("flag", sa.Boolean),
    )
    create(db_url, built)
    result = diff(narrower(built), db_url)
    changed = {change.name for change in result if change.kind == "modify_type"}
    assert changed == {"name", "counter", "ratio"}, str(result)
