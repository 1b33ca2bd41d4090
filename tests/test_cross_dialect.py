"""Cross-backend diffs: the real changes keep their risk, the two backends' spellings of one schema are apart."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from schema_tools.changes import Change
from schema_tools.cross_types import same_type
from schema_tools.dialects import backend_named
from schema_tools.diff import diff
from schema_tools.runner import migrate
from schema_tools.scratch import prepare
from schema_tools.settings import alembic_config

NewDatabase = Callable[[str], URL]
SQLITE, POSTGRESQL, MYSQL = backend_named("sqlite"), backend_named("postgresql"), backend_named("mysql")


class Mood(enum.Enum):
    happy = "happy"
    sad = "sad"


def models(*, changed: bool) -> sa.MetaData:
    """One app's models; `changed` adds three real differences: a dropped column, a narrowed string, an index."""
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(50 if changed else 80)),
        sa.Column("bio", sa.Text, comment="about the user"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("born", sa.Date),
        sa.Column("ratio", sa.Float(53)),
        sa.Column("money", sa.Numeric(10, 2)),
        sa.Column("visits", sa.BigInteger, server_default="0"),
        sa.Column("mood", sa.Enum(Mood, name="mood")),
        sa.Column("token", sa.Uuid),
        sa.Column("settings", sa.JSON),
        sa.Column("avatar", sa.LargeBinary),
        sa.Column("status", sa.String(20), server_default="new"),
        *([] if changed else [sa.Column("legacy", sa.String(10))]),
        comment="people",
    )
    posts = sa.Table(
        "posts",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Unicode(200)),
        sa.Column("slug", sa.String(40)),
        sa.UniqueConstraint("slug"),
    )
    sa.Index("ix_posts_title", posts.c.title)
    if changed:
        sa.Index("ix_posts_slug_title", posts.c.slug, posts.c.title)
    return metadata


def created(url: URL, metadata: sa.MetaData) -> URL:
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    return url


def keyed(changes: tuple[Change, ...]) -> dict[tuple[str, str | None, str | None], str]:
    return {change.key: change.risk for change in changes}


@pytest.mark.parametrize(
    ("source", "target"),
    [("sqlite", "postgresql"), ("postgresql", "mysql"), ("mysql", "postgresql"), ("postgresql", "sqlite")],
)
def test_only_real_differences_are_real_across_backends(source: str, target: str, new_database: NewDatabase) -> None:
    source_url = created(new_database(source), models(changed=True))
    target_url = created(new_database(target), models(changed=False))

    across = diff(source_url, target_url)
    expected = diff(models(changed=True), target_url)  # the same models on the target: what is really different

    assert keyed(across.real()) == keyed(expected.real())
    assert {key[0] for key in keyed(across.real())} == {"remove_column", "modify_type", "add_index"}
    assert across.risk == expected.risk == "data-loss"  # the dropped column, as on one backend
    apart = across.dialect_differences()
    assert apart, "these models differ between backends in spelling (DATETIME vs TIMESTAMP, ...)"
    assert all(change.risk == "safe" and change.reason.startswith("dialect difference") for change in apart)
    assert len(across) == len(across.real()) + len(apart)
    assert across.source_dialect == backend_named(source).dialect_name

    summary = across.summary()
    assert summary["changes"] == len(expected) == 3
    assert sum(summary["risk"].values()) == 3
    assert summary["dialect"] == len(apart)
    payload = json.loads(json.dumps(across.to_dict()))
    assert payload["source_dialect"] == across.source_dialect
    assert sorted(change["origin"] for change in payload["changes"]).count("real") == 3
    assert str(across).startswith(f"3 changes in 2 tables to make {across.target} match {across.source}")
    assert "Dialect differences, not changes" in str(across)
    assert "Dialect differences, not changes" in across._repr_html_()


def test_within_one_backend_every_change_is_real(backend: str, new_database: NewDatabase) -> None:
    source_url = created(new_database(backend), models(changed=True))
    target_url = created(new_database(backend), models(changed=False))

    same = diff(source_url, target_url)

    assert same.real() == tuple(same) and not same.dialect_differences()
    assert same.source_dialect is None
    assert "dialect" not in same.summary()
    payload = same.to_dict()
    assert "source_dialect" not in payload and all("origin" not in change for change in payload["changes"])
    assert "Dialect differences" not in str(same)


def upgraded(url: URL) -> URL:
    config = alembic_config(quiet=True)
    prepare(config, url)
    migrate(config, url, "upgrade", "head")
    return url


@pytest.mark.parametrize(
    ("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite"), ("mysql", "postgresql")]
)
def test_the_apps_migrations_on_two_backends_differ_only_in_spelling(
    source: str, target: str, new_database: NewDatabase
) -> None:
    """Notebook 02's two databases, but one on SQLite and one on PostgreSQL: `alembic upgrade head` on both."""
    across = diff(upgraded(new_database(source)), upgraded(new_database(target)))

    assert not across.real(), str(across)
    assert across.dialect_differences() and across.risk == "safe"
    assert across.summary()["changes"] == 0
    assert str(across).startswith("No real changes:")


def test_a_revision_built_in_sqlite_against_postgresql_differs_only_in_spelling(new_database: NewDatabase) -> None:
    across = diff("head", upgraded(new_database("postgresql")))

    assert across.source_dialect == "sqlite"
    assert not across.real(), str(across)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("old", "old_backend", "new", "new_backend"),
    [
        (postgresql.TIMESTAMP(), POSTGRESQL, sqlite.DATETIME(), SQLITE),
        (postgresql.TIMESTAMP(timezone=True), POSTGRESQL, sqlite.DATETIME(), SQLITE),
        (sa.TEXT(), SQLITE, sa.CLOB(), SQLITE),
        (sa.INTEGER(), POSTGRESQL, mysql.INTEGER(display_width=11), MYSQL),
        (sa.BOOLEAN(), SQLITE, mysql.TINYINT(display_width=1), MYSQL),
        (postgresql.DOUBLE_PRECISION(), POSTGRESQL, sa.Float(53), SQLITE),
        (mysql.DOUBLE(), MYSQL, sa.REAL(), SQLITE),
        (sa.VARCHAR(40), POSTGRESQL, sa.NVARCHAR(40), MYSQL),
        (postgresql.ENUM("a", "bb", name="e"), POSTGRESQL, sa.VARCHAR(2), SQLITE),
        (postgresql.UUID(), POSTGRESQL, sa.CHAR(32), SQLITE),
        (postgresql.BYTEA(), POSTGRESQL, sa.BLOB(), SQLITE),
    ],
)
def test_one_type_spelled_by_two_backends(
    old: sa.types.TypeEngine[object], old_backend: object, new: object, new_backend: object
) -> None:
    assert same_type(old, new, old_backend, new_backend) is not None  # type: ignore[arg-type]
    assert same_type(new, old, new_backend, old_backend) is not None  # type: ignore[arg-type]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("old", "old_backend", "new", "new_backend"),
    [
        (sa.VARCHAR(80), POSTGRESQL, sa.VARCHAR(50), SQLITE),
        (sa.CHAR(10), POSTGRESQL, sa.VARCHAR(10), SQLITE),
        (sa.INTEGER(), POSTGRESQL, sa.BIGINT(), SQLITE),
        (sa.REAL(), POSTGRESQL, sa.Float(53), SQLITE),  # PostgreSQL's REAL is single precision, SQLite's a double
        (sa.Float(), MYSQL, postgresql.DOUBLE_PRECISION(), POSTGRESQL),  # MySQL's FLOAT is single precision
        (sa.Numeric(10, 2), POSTGRESQL, sa.Numeric(12, 2), MYSQL),
        (postgresql.TIMESTAMP(timezone=True), POSTGRESQL, postgresql.TIMESTAMP(), POSTGRESQL),
        (postgresql.ENUM("a", "b", name="e"), POSTGRESQL, mysql.ENUM("a", "c"), MYSQL),
        (postgresql.JSON(), POSTGRESQL, sa.TEXT(), SQLITE),
        (sa.DATE(), POSTGRESQL, sa.DATETIME(), SQLITE),
    ],
)
def test_a_real_type_difference_stays_real(old: object, old_backend: object, new: object, new_backend: object) -> None:
    assert same_type(old, new, old_backend, new_backend) is None  # type: ignore[arg-type]


@pytest.mark.unit
def test_postgresql_spells_an_autoincrement_key_as_its_sequence() -> None:
    assert POSTGRESQL.autoincrement_default("nextval('users_id_seq'::regclass)")
    assert POSTGRESQL.autoincrement_default("nextval('\"Users\"_id_seq'::regclass)")
    assert not POSTGRESQL.autoincrement_default("'nextval'")
    assert not SQLITE.autoincrement_default("nextval('users_id_seq'::regclass)")


def test_the_diff_command_exits_0_when_only_dialects_differ(new_database) -> None:
    """The CLI's exit code follows the real changes: the same schema on two backends is no change."""
    from schema_tools.cli import main

    metadata = sa.MetaData()
    sa.Table("items", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", sa.DateTime))
    left, right = new_database("sqlite"), new_database("postgresql")
    for url in (left, right):
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        engine.dispose()
    across = diff(str(left), right)
    assert across.real() == () and across.dialect_differences(), "the test needs spelling differences to ignore"
    target = right.render_as_string(hide_password=False)
    assert main(["diff", "--source", str(left), "--url", target, "--format", "json"]) == 0
