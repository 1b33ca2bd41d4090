"""A snapshot back as a schema: a MetaData as reflection builds it, or a scratch database of the snapshot's dialect.

metadata_of() follows SQLAlchemy's own reflection step by step (Inspector._reflect_column and friends) over the
records the snapshot stored, so the desired side of a diff is the MetaData a reflection of the database gives.
materialized() creates that schema in a scratch database of the same dialect, so diffing against a snapshot
runs the very comparison (Alembic's and every schema_tools comparator's) a diff against the database runs.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.sql import operators
from sqlalchemy.sql.schema import ForeignKeyTarget

from .dialects import backend_named
from .dialects.snapshot_types import parse_type
from .dialects.sqlite_files import file_url
from .engines import create_sync_engine
from .scratch import _server_database
from .snapshot_format import Snapshot, SnapshotError
from .urls import parse_url, sync_url

# The MetaData.info key cross_dialect.ORIGIN_KEY names: the dialect a schema was reflected on.
ORIGIN_KEY = "schema_tools.reflected_on"
SCRATCH_SERVER_ENV = "SCHEMA_TOOLS_SCRATCH_{name}_URL"
_SORTING = {
    "asc": operators.asc_op,
    "desc": operators.desc_op,
    "nulls_first": operators.nulls_first_op,
    "nulls_last": operators.nulls_last_op,
}
_MATERIALIZED: dict[str, str] = {}
_DIRECTORIES: list[str] = []


def _dialect(name: str) -> sa.Dialect:
    dialect: sa.Dialect = sa.engine.URL.create(name).get_dialect()()
    return dialect


def _column(record: dict[str, Any], dialect: sa.Dialect, enums: dict[str, list[str]]) -> sa.Column[Any]:
    """A column as Inspector._reflect_column builds it from the same record."""
    keywords = {
        key: record[key] for key in ("nullable", "autoincrement", "quote", "info", "key", "comment") if key in record
    }
    keywords.update(record.get("dialect_options") or {})
    arguments: list[Any] = []
    if record.get("default") is not None:
        arguments.append(sa.DefaultClause(sa.text(record["default"]), _reflected=True))
    if "computed" in record:
        arguments.append(sa.Computed(**record["computed"]))
    if "identity" in record:
        arguments.append(sa.Identity(**record["identity"]))
    return sa.Column(record["name"], parse_type(record["type"], dialect, enums), *arguments, **keywords)


def _foreign_key(table: sa.Table, record: dict[str, Any]) -> None:
    targets = [
        ForeignKeyTarget(record.get("referred_schema"), record["referred_table"], column)
        for column in record["referred_columns"]
    ]
    table.append_constraint(
        sa.ForeignKeyConstraint(
            record["constrained_columns"],
            targets,
            record.get("name"),
            link_to_name=True,
            comment=record.get("comment"),
            **(record.get("options") or {}),
        )
    )


def _index(table: sa.Table, record: dict[str, Any]) -> None:
    """An index as Inspector._reflect_indexes builds it (one that duplicates a constraint is left out, as there)."""
    if record.get("duplicates_constraint"):
        return
    expressions = record.get("expressions") or []
    sorting = record.get("column_sorting") or {}
    elements: list[Any] = []
    for position, name in enumerate(record["column_names"]):
        if name is None:
            elements.append(sa.text(expressions[position]))
            continue
        element: Any = table.c[name]
        for option in sorting.get(name, ()):
            if option in _SORTING:
                element = _SORTING[option](element)
        elements.append(element)
    sa.Index(record["name"], *elements, _table=table, unique=record["unique"], **(record.get("dialect_options") or {}))


def _constraints(table: sa.Table, document: dict[str, Any]) -> None:
    for record in document["foreign_keys"]:
        _foreign_key(table, record)
    for record in document["indexes"]:
        _index(table, record)
    for record in document["unique_constraints"]:
        if not record.get("duplicates_index"):
            columns = [table.c[name] for name in record["column_names"]]
            options = record.get("dialect_options") or {}
            table.append_constraint(
                sa.UniqueConstraint(*columns, name=record.get("name"), comment=record.get("comment"), **options)
            )
    for record in document["check_constraints"]:
        table.append_constraint(sa.CheckConstraint(**record))


def _primary_key(table: sa.Table, record: dict[str, Any] | None) -> None:
    if not record or not record.get("constrained_columns"):
        return
    key = sa.PrimaryKeyConstraint(
        *record["constrained_columns"], name=record.get("name"), comment=record.get("comment")
    )
    key.dialect_kwargs.update(record.get("dialect_options") or {})
    table.append_constraint(key)


def metadata_of(snapshot: Snapshot) -> MetaData:
    """The snapshot's tables in a fresh MetaData, with the dialect's types: what reflecting the database gives."""
    dialect = _dialect(snapshot.dialect)
    enums = snapshot.enums
    metadata = MetaData()
    metadata.info[ORIGIN_KEY] = snapshot.dialect
    tables = snapshot.tables
    for name, document in sorted(tables.items()):
        table = sa.Table(name, metadata, comment=document.get("comment"))
        options = document.get("options") or {}
        if options:
            table._validate_dialect_kwargs(options)
        for record in document["columns"]:
            table.append_column(_column(record, dialect, enums), replace_existing=True)
        _primary_key(table, document.get("primary_key"))
    for name, document in sorted(tables.items()):
        _constraints(metadata.tables[name], document)
    return metadata


def _scratch_url(snapshot: Snapshot, server: str | sa.URL | None) -> sa.URL:
    """A new, empty database of the snapshot's dialect: a file for SQLite, else one on the configured server."""
    backend = backend_named(snapshot.dialect)
    if backend.file_based:
        directory = tempfile.mkdtemp(prefix="schema_tools_snapshot_")
        _DIRECTORIES.append(directory)
        return sa.make_url(file_url(Path(directory) / "snapshot.db"))
    variable = SCRATCH_SERVER_ENV.format(name=backend.name.upper())
    given = server if server is not None else os.environ.get(variable)
    if not given:
        raise SnapshotError(
            f"{snapshot.label()} is a {backend.family} schema, compared in a scratch {backend.family} database: "
            f"set {variable} to a server URL where schema-tools may CREATE DATABASE"
        )
    url = sync_url(parse_url(given))
    if backend_named(url.get_backend_name()).family != backend.family:
        raise SnapshotError(f"{variable} must be a {backend.family} server for {snapshot.label()}")
    return _server_database(url)


def _views(connection: sa.Connection, snapshot: Snapshot) -> None:
    """CREATE each view; a view that reads another waits for it (rounds until nothing more can be made)."""
    catalog = backend_named(snapshot.dialect).view_catalog()
    quote = connection.dialect.identifier_preparer.quote
    pending = dict(sorted(snapshot.views.items()))
    while pending:
        made = []
        for name, view in pending.items():
            try:  # autocommit: MySQL commits DDL by itself, so a savepoint could not fence a failed attempt
                for statement in catalog.create(quote(name), view["definition"], bool(view["materialized"])):
                    connection.exec_driver_sql(statement)
            except sa.exc.DBAPIError:
                continue
            made.append(name)
        if not made:
            raise SnapshotError(f"{snapshot.label()}: cannot create view(s) {', '.join(pending)} in a scratch database")
        for name in made:
            del pending[name]


def _for_creation(snapshot: Snapshot) -> MetaData:
    """metadata_of(), minus what the dialect makes by itself on CREATE TABLE (a serial key's nextval default)."""
    metadata = metadata_of(snapshot)
    backend = backend_named(snapshot.dialect)
    for table in metadata.tables.values():
        for column in table.columns:
            default = column.server_default
            if isinstance(default, sa.DefaultClause) and backend.autoincrement_default(str(default.arg)):
                column.server_default = None
    return metadata


def build(snapshot: Snapshot, url: sa.URL) -> None:
    """Create the snapshot's enums, tables (keys, indexes, constraints, comments) and views in the empty `url`."""
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            for name, labels in sorted(snapshot.enums.items()):
                sa.Enum(*labels, name=name).create(connection, checkfirst=True)
            _for_creation(snapshot).create_all(connection)
        with engine.connect() as connection:
            _views(connection.execution_options(isolation_level="AUTOCOMMIT"), snapshot)
    finally:
        engine.dispose()


def materialized(snapshot: Snapshot, *, server: str | sa.URL | None = None) -> str:
    """The URL of a scratch database holding the snapshot's schema (made once per schema and process).

    SQLite snapshots go to a scratch file; PostgreSQL and MySQL ones to a new database on `server`, else on
    $SCHEMA_TOOLS_SCRATCH_POSTGRESQL_URL / $SCHEMA_TOOLS_SCRATCH_MYSQL_URL. All are removed at exit.
    """
    key = hashlib.sha256(snapshot.to_json().encode()).hexdigest()
    if key not in _MATERIALIZED:
        url = _scratch_url(snapshot, server)
        build(snapshot, url)
        _MATERIALIZED[key] = url.render_as_string(hide_password=False)
    return _MATERIALIZED[key]


@atexit.register
def _remove_directories() -> None:
    for directory in _DIRECTORIES:
        shutil.rmtree(directory, ignore_errors=True)
