"""Turn what a caller hands us (MetaData, "module:attr", URL, Engine, revision id) into a schema, read-only."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.util.exc import CommandError
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .config import alembic_config, load_metadata, project_of
from .connect import mask_url, parse_url, read_only_connection, sqlite_path
from .errors import RevisionError
from .settings import INTERNAL_TABLES

SchemaSource = MetaData | str | URL | Engine | Connection | None


def is_url(value: object) -> bool:
    """True for a URL object or a string that looks like dialect://..."""
    return isinstance(value, URL) or (isinstance(value, str) and "://" in value)


def is_metadata_path(value: object) -> bool:
    """True for a "module:attribute" string."""
    return isinstance(value, str) and "://" not in value and ":" in value


def is_revision(value: object) -> bool:
    """True for a revision id or symbol ("head", "base", "55221d9084c8", "head-1")."""
    return isinstance(value, str) and not is_url(value) and not is_metadata_path(value)


def describe(source: SchemaSource) -> str:
    """A short, password-free and machine-independent label: SQLite files show only their name."""
    if isinstance(source, MetaData):
        return f"models ({len(source.tables)} tables)"
    if source is None:
        from .connect import default_url

        return describe(default_url())
    if isinstance(source, Engine | Connection):
        return describe(source.engine.url if isinstance(source, Connection) else source.url)
    if is_url(source):
        url = parse_url(source)
        if url.get_backend_name() == "sqlite":
            path = sqlite_path(url)
            return f"sqlite:///{path.name}" if path else "sqlite (memory)"
        return mask_url(url)
    if is_metadata_path(source):
        return f"models ({source})"
    return f"revision {source}"


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
def database_at_revision(revision: str, *, config: Any = None) -> Iterator[URL]:
    """A scratch SQLite database upgraded to `revision` through the app's env.py, deleted afterwards."""
    from .runner import migrate

    with tempfile.TemporaryDirectory(prefix="schema_tools_rev_") as directory:
        url = sa.make_url(f"sqlite:///{Path(directory) / 'at_revision.db'}")
        cfg = config if config is not None else alembic_config(quiet=True)
        try:
            migrate(cfg, url, "upgrade", revision)
        except CommandError as error:
            raise RevisionError(f"cannot build the schema at revision {revision!r}: {error}") from None
        yield url


def schema_at_revision(revision: str, *, config: Any = None) -> MetaData:
    """The schema as the history builds it at `revision`, reflected from a scratch SQLite database."""
    with database_at_revision(revision, config=config) as url:
        return reflect_source(url)


def desired_schema(source: SchemaSource, *, config: Any = None) -> MetaData:
    """The schema a diff should move towards: models, another database, or a revision."""
    if source is None or isinstance(source, MetaData) or is_metadata_path(source):
        return load_metadata(source, config=config)
    if isinstance(source, Engine | Connection) or is_url(source):
        return reflect_source(resolve_database(source, config))
    return schema_at_revision(str(source), config=config)


@contextmanager
def open_database(target: str | URL | Engine | Connection | None, *, config: Any = None) -> Iterator[Connection]:
    """A read-only connection to the database a diff compares against; a revision id gets a scratch copy."""
    if is_revision(target):
        with database_at_revision(str(target), config=config) as url, read_only_connection(url) as connection:
            yield connection
        return
    with read_only_connection(resolve_database(target, config)) as connection:
        yield connection


def resolve_database(target: str | URL | Engine | Connection | None, config: Any = None) -> URL | Engine | Connection:
    """An Engine or Connection as given; a URL (or None: the app's configured one) in the app's URL order."""
    if isinstance(target, Engine | Connection):
        return target
    return project_of(config).database_url(target)


def copy_metadata(metadata: MetaData | str | None = None) -> MetaData:
    """A deep copy of the models' MetaData (naming convention included) to change freely in a notebook."""
    original = load_metadata(metadata)
    copy = MetaData(naming_convention=dict(original.naming_convention), schema=original.schema)
    for table in original.sorted_tables:
        table.to_metadata(copy)
    return copy


def rename_column(metadata: MetaData, table: str, old: str, new: str) -> MetaData:
    """A copy of `metadata` where `table.old` is called `new`, keys and indexes included (a model-side rename)."""

    def renamed(name: str) -> str:
        return new if name == old else name

    copy = MetaData(naming_convention=dict(metadata.naming_convention), schema=metadata.schema)
    for source in metadata.sorted_tables:
        if source.name != table:
            source.to_metadata(copy)
            continue
        columns = []
        for column in source.columns:
            clone = column._copy()
            clone.name = clone.key = renamed(column.name)
            columns.append(clone)
        items: list[sa.SchemaItem] = []
        for constraint in source.constraints:
            names = [renamed(c.name) for c in constraint.columns]
            if isinstance(constraint, sa.UniqueConstraint):
                items.append(sa.UniqueConstraint(*names, name=constraint.name))
            elif isinstance(constraint, sa.ForeignKeyConstraint):
                targets = [element.target_fullname for element in constraint.elements]
                items.append(
                    sa.ForeignKeyConstraint(names, targets, name=constraint.name, ondelete=constraint.ondelete)
                )
        for index in source.indexes:
            items.append(sa.Index(index.name, *[renamed(c.name) for c in index.columns], unique=index.unique))
        for column in columns:
            column.foreign_keys.clear()
        sa.Table(source.name, copy, *columns, *items, comment=source.comment)
    return copy
