"""Turn what a caller hands us (MetaData, "module:attr", URL, Engine, revision id) into a schema, read-only."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.schema import SchemaItem

from .config import alembic_config, load_metadata, project_of
from .connect import read_only_connection
from .dialects import SCRATCH
from .errors import RevisionError
from .labels import SchemaSource, is_metadata_path, is_revision, is_url
from .labels import describe as _describe
from .runner import migrate
from .settings import INTERNAL_TABLES
from .snapshot_format import Snapshot, is_snapshot_path, read_snapshot
from .snapshot_read import materialized, metadata_of

__all__ = [
    "SchemaSource",
    "copy_metadata",
    "database_at_revision",
    "describe",
    "desired_schema",
    "is_metadata_path",
    "is_revision",
    "is_snapshot",
    "is_url",
    "open_database",
    "reflect",
    "reflect_source",
    "rename_column",
    "resolve_database",
    "schema_at_revision",
]


def is_snapshot(value: object) -> bool:
    """A Snapshot, or a path to a .json snapshot file."""
    return isinstance(value, Snapshot) or is_snapshot_path(value)


def as_snapshot(value: object) -> Snapshot:
    """The Snapshot itself, or the one read from a .json file (upgraded to the current format version)."""
    return value if isinstance(value, Snapshot) else read_snapshot(str(value))


def describe(source: SchemaSource | Snapshot) -> str:
    """A short, password-free label (labels.describe); a snapshot is named by its file, or what it was taken from."""
    if isinstance(source, Snapshot):
        return source.label()
    if is_snapshot_path(source):
        return f"snapshot {Path(str(source)).name}"
    return _describe(source)


def reflect(connection: Connection, *, only: set[str] | None = None) -> MetaData:
    """The live schema in a fresh MetaData, without Alembic's and schema_tools' bookkeeping tables."""
    metadata = MetaData()
    metadata.reflect(
        bind=connection,
        only=lambda name, _: name not in INTERNAL_TABLES and (only is None or name in only),
    )
    return metadata


def reflect_source(source: str | URL | Engine | Connection | None) -> MetaData:
    """Reflect a live database read-only into a fresh MetaData (never into the caller's)."""
    with read_only_connection(source) as connection:
        return reflect(connection)


@contextmanager
def database_at_revision(revision: str, *, config: Config | None = None) -> Iterator[URL]:
    """A scratch database file upgraded to `revision` through the app's env.py, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="schema_tools_rev_") as directory:
        url = URL.create(SCRATCH.name, database=str(Path(directory) / "at_revision.db"))
        cfg = config if config is not None else alembic_config(quiet=True)
        try:
            migrate(cfg, url, "upgrade", revision)
        except CommandError as error:
            raise RevisionError(f"cannot build the schema at revision {revision!r}: {error}") from None
        yield url


def schema_at_revision(revision: str, *, config: Config | None = None) -> MetaData:
    """The schema as the history builds it at `revision`, reflected from a scratch database file."""
    with database_at_revision(revision, config=config) as url:
        return reflect_source(url)


def desired_schema(source: SchemaSource | Snapshot, *, config: Config | None = None) -> MetaData:
    """The schema a diff should move towards: models, another database, a snapshot, or a revision."""
    if is_snapshot(source):
        return metadata_of(as_snapshot(source))
    if source is None or isinstance(source, MetaData) or is_metadata_path(source):
        return load_metadata(source, config=config)
    if isinstance(source, Engine | Connection) or is_url(source):
        return reflect_source(resolve_database(source, config))
    return schema_at_revision(str(source), config=config)


@contextmanager
def open_database(
    target: str | URL | Engine | Connection | Snapshot | None, *, config: Config | None = None
) -> Iterator[Connection]:
    """A read-only connection to the database a diff compares against; a revision id or snapshot gets a scratch copy."""
    if is_snapshot(target):
        with read_only_connection(materialized(as_snapshot(target))) as connection:
            yield connection
        return
    if is_revision(target):
        with database_at_revision(str(target), config=config) as url, read_only_connection(url) as connection:
            yield connection
        return
    with read_only_connection(resolve_database(target, config)) as connection:
        yield connection


def resolve_database(
    target: str | URL | Engine | Connection | Snapshot | None, config: Config | None = None
) -> URL | Engine | Connection:
    """An Engine or Connection as given; a URL (or None: the app's configured one) in the app's URL order.

    A snapshot is its schema in a scratch database of its dialect (snapshot_read.materialized).
    """
    if isinstance(target, Engine | Connection):
        return target
    if is_snapshot(target):
        return sa.make_url(materialized(as_snapshot(target)))
    assert not isinstance(target, Snapshot)  # is_snapshot() took it
    return project_of(config).database_url(target)


def _empty_like(metadata: MetaData) -> MetaData:
    """An empty MetaData with the same schema and a mutable copy of the naming convention."""
    convention: Mapping[str, Any] = metadata.naming_convention
    return MetaData(naming_convention=dict(convention), schema=metadata.schema)


def copy_metadata(metadata: MetaData | str | None = None) -> MetaData:
    """A deep copy of the models' MetaData (naming convention included) to change freely in a notebook."""
    original = load_metadata(metadata)
    copy = _empty_like(original)
    for table in original.sorted_tables:
        table.to_metadata(copy)
    return copy


def _renamed_items(source: sa.Table, renamed: Callable[[str], str]) -> list[SchemaItem]:
    """The table's unique and foreign key constraints and its indexes, over the renamed columns."""
    items: list[SchemaItem] = []
    for constraint in source.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            items.append(sa.UniqueConstraint(*[renamed(c.name) for c in constraint.columns], name=constraint.name))
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            names = [renamed(c.name) for c in constraint.columns]
            targets = [element.target_fullname for element in constraint.elements]
            items.append(sa.ForeignKeyConstraint(names, targets, name=constraint.name, ondelete=constraint.ondelete))
    for index in source.indexes:
        items.append(sa.Index(index.name, *[renamed(c.name) for c in index.columns], unique=index.unique))
    return items


def rename_column(metadata: MetaData, table: str, old: str, new: str) -> MetaData:
    """A copy of `metadata` where `table.old` is called `new`, keys and indexes included (a model-side rename)."""

    def renamed(name: str) -> str:
        return new if name == old else name

    copy = _empty_like(metadata)
    for source in metadata.sorted_tables:
        if source.name != table:
            source.to_metadata(copy)
            continue
        columns = []
        for column in source.columns:
            clone = column._copy()
            clone.name = clone.key = renamed(column.name)
            clone.foreign_keys.clear()
            columns.append(clone)
        sa.Table(source.name, copy, *columns, *_renamed_items(source, renamed), comment=source.comment)
    return copy
