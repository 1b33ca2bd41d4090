"""A database's schema (and its Alembic revision) copied into an empty scratch database, without its rows.

The data-loss guard rehearses pending revisions on such a copy: it is the schema they will really meet,
drift and tables the app created outside Alembic included, at any history length.
"""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import URL

from .backup import Timeouts, _mysql_args, _pg_conninfo, _require_tools, _run_tool
from .connect import create_sync_engine, sqlite_path, sqlite_uri, sync_url
from .errors import SchemaToolsError
from .settings import VERSION_TABLE

_SQLITE_ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}


class CloneFailed(SchemaToolsError):
    """The schema could not be copied (a missing client tool, a failing dump): the caller falls back or says so."""


def clone_schema(source: URL, target: URL) -> None:
    """Copy every table, index, view, constraint and sequence of `source` into the empty `target`, and its
    alembic_version rows; no other row. `source` is only read."""
    source, target = sync_url(source), sync_url(target)
    backend = source.get_backend_name()
    if target.get_backend_name() != backend:
        raise CloneFailed(f"cannot copy a {backend} schema into a {target.get_backend_name()} database")
    if backend == "sqlite":
        _clone_sqlite(source, target)
    elif backend == "postgresql":
        _clone_postgres(source, target)
    elif backend in ("mysql", "mariadb"):
        _clone_mysql(source, target)
    else:
        raise CloneFailed(f"copying a {backend} schema is not supported")
    _copy_versions(source, target)


def _clone_sqlite(source: URL, target: URL) -> None:
    source_path, target_path = sqlite_path(source), sqlite_path(target)
    if source_path is None or target_path is None:
        raise CloneFailed("an in-memory SQLite database has no schema to copy")
    reader = sqlite3.connect(sqlite_uri(source_path, mode="ro"), uri=True)
    try:
        rows = reader.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        reader.close()
    writer = sqlite3.connect(target_path)
    try:
        with writer:
            for _kind, _name, sql in sorted(rows, key=lambda row: (_SQLITE_ORDER.get(row[0], 9), row[1])):
                writer.execute(sql)
    except sqlite3.Error as error:
        raise CloneFailed(f"copying the SQLite schema failed: {error}") from None
    finally:
        writer.close()


def _clone_postgres(source: URL, target: URL) -> None:
    timeouts = Timeouts.from_env()
    try:
        tools = _require_tools("postgresql")
        psql = tools["psql"]
        dump = _run_tool(
            [tools["pg_dump"], "--schema-only", "--no-owner", "--no-privileges", "--no-comments",
             f"--lock-wait-timeout={int(timeouts.lock * 1000)}", f"--dbname={_pg_conninfo(source, timeouts)}"],
            source, timeouts, "copying the schema", stdout=subprocess.PIPE,
        )  # fmt: skip
        script = b"SET client_min_messages = warning;\n" + _without_public_schema(dump or b"")
        _run_tool(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-",
             f"--dbname={_pg_conninfo(target, timeouts)}"],
            target, timeouts, "loading the schema copy", stdin=_bytes_stdin(script),
        )  # fmt: skip
    except SchemaToolsError as error:
        raise CloneFailed(str(error)) from None


def _clone_mysql(source: URL, target: URL) -> None:
    timeouts = Timeouts.from_env()
    try:
        tools = _require_tools("mysql")
        dump = _run_tool(
            [tools["mysqldump"], *_mysql_args(source), "--no-data", "--skip-triggers", "--no-tablespaces",
             "--skip-add-drop-table", "--default-character-set=utf8mb4", source.database or ""],
            source, timeouts, "copying the schema", stdout=subprocess.PIPE,
        )  # fmt: skip
        _run_tool(
            [tools["mysql"], *_mysql_args(target), "--default-character-set=utf8mb4", target.database or ""],
            target, timeouts, "loading the schema copy", stdin=_bytes_stdin(dump or b""),
        )  # fmt: skip
    except SchemaToolsError as error:
        raise CloneFailed(str(error)) from None


def _copy_versions(source: URL, target: URL) -> None:
    """The revision the copy is at: the rows of alembic_version (the dumps copy the table, not its rows)."""
    reader = create_sync_engine(source, read_only=True, brief=True)
    try:
        with reader.connect() as connection:
            if not sa.inspect(connection).has_table(VERSION_TABLE):
                return
            versions = [row[0] for row in connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")]
    finally:
        reader.dispose()
    writer = create_sync_engine(target)
    try:
        with writer.begin() as connection:
            table = sa.table(VERSION_TABLE, sa.column("version_num"))
            if not sa.inspect(connection).has_table(VERSION_TABLE):
                connection.execute(
                    sa.schema.CreateTable(
                        sa.Table(
                            VERSION_TABLE, sa.MetaData(), sa.Column("version_num", sa.String(32), primary_key=True)
                        )
                    )
                )
            connection.execute(table.delete())
            for version in versions:
                connection.execute(table.insert().values(version_num=version))
    finally:
        writer.dispose()


def _without_public_schema(dump: bytes) -> bytes:
    """pg_dump may create the public schema, which every new database already has."""
    lines = [line for line in dump.splitlines(keepends=True) if not line.startswith(b"CREATE SCHEMA public;")]
    return b"".join(lines)


def _bytes_stdin(data: bytes) -> IO[bytes]:
    """A temporary file holding `data`, for a client tool's standard input."""
    handle = tempfile.TemporaryFile()
    handle.write(data)
    handle.seek(0)
    return handle
