"""snapshot(): a database's schema as a Snapshot, read once through SQLAlchemy's inspector and the dialects' helpers.

What is stored is what reflection reads (the inspector's records, each column type as its DDL text), so the
schema rebuilt from a snapshot (snapshot_read.py) is the schema a reflection of the database gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .dialects import backend_of
from .dialects.snapshot_types import type_text
from .errors import ConfigurationError
from .labels import describe, is_metadata_path, is_revision
from .runner import current_heads
from .settings import INTERNAL_TABLES
from .snapshot_format import FORMAT, VERSION, Snapshot, is_snapshot_path, read_snapshot
from .sources import database_at_revision, open_database

__all__ = ["Snapshot", "capture", "snapshot"]


def _plain(value: Any) -> Any:
    """A JSON value: mappings with string keys, lists, and scalars (anything else as its SQL text)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _ordered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Named records by name, then by content: the catalog's own order varies between servers."""
    return sorted(records, key=lambda record: (str(record.get("name") or ""), json.dumps(record, sort_keys=True)))


def _optional(read: Callable[[], Any], default: Any) -> Any:
    """What the inspector reads, or `default` where the dialect has no such reflection (as reflection does)."""
    try:
        return read()
    except NotImplementedError:
        return default


def _column(record: Mapping[str, Any], dialect: sa.Dialect) -> dict[str, Any]:
    column = _plain({key: value for key, value in record.items() if key != "type"})
    column["type"] = type_text(record["type"], dialect)
    return dict(column)


def _table(inspector: sa.Inspector, name: str, dialect: sa.Dialect) -> dict[str, Any]:
    """One table as reflection reads it: the inspector's records, made JSON."""
    comment = _optional(lambda: inspector.get_table_comment(name), {"text": None})
    return {
        "columns": [_column(column, dialect) for column in inspector.get_columns(name)],
        "primary_key": _plain(inspector.get_pk_constraint(name)),
        "foreign_keys": _ordered(_plain(inspector.get_foreign_keys(name))),
        "indexes": _ordered(_plain(inspector.get_indexes(name))),
        "unique_constraints": _ordered(_plain(_optional(lambda: inspector.get_unique_constraints(name), []))),
        "check_constraints": _ordered(_plain(_optional(lambda: inspector.get_check_constraints(name), []))),
        "comment": comment.get("text"),
        "options": _plain(_optional(lambda: inspector.get_table_options(name), {})),
    }


def _unqualified(definition: str, connection: Connection) -> str:
    """A view's SELECT without its own database's qualifier (MySQL writes `db`.`t`): portable to a copy."""
    schema = connection.dialect.default_schema_name
    if not schema:
        return definition
    return definition.replace(f"{connection.dialect.identifier_preparer.quote_identifier(schema)}.", "")


def capture(connection: Connection, source: str) -> Snapshot:
    """The schema behind `connection` (default schema, bookkeeping tables left out) as a Snapshot labelled `source`."""
    inspector = sa.inspect(connection)
    dialect = connection.dialect
    backend = backend_of(connection)
    names = sorted(name for name in inspector.get_table_names() if name not in INTERNAL_TABLES)
    views = backend.view_catalog().views(connection)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "dialect": dialect.name,
        "source": source,
        "revision": list(current_heads(connection)),
        "tables": {name: _table(inspector, name, dialect) for name in names},
        "enums": {name: list(labels) for name, labels in sorted(backend.enum_types(inspector).items())},
        "views": {
            name: {"definition": _unqualified(view.definition, connection), "materialized": view.materialized}
            for name, view in sorted(views.items())
        },
    }
    return Snapshot(document)


def snapshot(
    source: str | URL | Engine | Connection | Snapshot | Path | None = None, *, config: Config | None = None
) -> Snapshot:
    """A stable, versioned record of a database's schema (default: the app's database), read-only.

    `source` is a URL, Engine or Connection; a revision id (its schema built in a scratch SQLite database);
    or a snapshot file or Snapshot, which comes back in the current format version (an older file upgraded).
    Write it with Snapshot.write(path); it is a source wherever a database is: diff(), erd(), draft().
    """
    if isinstance(source, Snapshot):
        return source
    if isinstance(source, Path) or is_snapshot_path(source):
        return read_snapshot(str(source))
    if isinstance(source, MetaData) or is_metadata_path(source):
        raise ConfigurationError("snapshot() records a database: give a URL, an Engine, a revision id or a .json file")
    if is_revision(source):
        with database_at_revision(str(source), config=config) as url, open_database(url) as connection:
            return capture(connection, describe(source))
    with open_database(source, config=config) as connection:
        return capture(connection, describe(source))
