"""A database's schema (and its Alembic revision) copied into an empty scratch database, without its rows.

The data-loss guard rehearses pending revisions on such a copy: it is the schema they will really meet,
drift and tables the app created outside Alembic included, at any history length.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL

from .backup_jobs import current_timeouts, job_for
from .connect import create_sync_engine, sync_url
from .dialects import backend_of
from .errors import SchemaToolsError
from .settings import VERSION_TABLE


class CloneFailed(SchemaToolsError):
    """The schema could not be copied (a missing client tool, a failing dump): the caller falls back or says so."""


def clone_schema(source: URL, target: URL) -> None:
    """Copy every table, index, view, constraint and sequence of `source` into the empty `target`, and its
    alembic_version rows; no other row. `source` is only read."""
    source, target = sync_url(source), sync_url(target)
    backend = backend_of(source)
    if backend_of(target) != backend:
        raise CloneFailed(
            f"cannot copy a {source.get_backend_name()} schema into a {target.get_backend_name()} database"
        )
    try:
        backup_format = backend.backup_format()
        timeouts = current_timeouts()
        backup_format.clone(job_for(source, backup_format, timeouts), job_for(target, backup_format, timeouts))
    except SchemaToolsError as error:
        raise CloneFailed(str(error)) from None
    _copy_versions(source, target)


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
