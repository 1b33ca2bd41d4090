"""SQLite: a file, batch-mode ALTERs, transactional DDL, no identifier limit."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.types import TypeEngine

from ..fingerprint_types import Catalog
from . import sqlite_timeouts
from .base import Backend, LockWait
from .bulk_types import BulkCatalog
from .sqlite_backup import JOURNALS, SQLiteBackup
from .sqlite_bulk import reflect_all
from .sqlite_catalog import catalog_lines, fingerprints, identity_row
from .sqlite_ddl import migration_options
from .sqlite_files import begin_read_only, file_lock, read_only_url, watched_file
from .sqlite_locks import table_bytes
from .sqlite_replica import replica
from .sqlite_views import SQLiteViews


class SQLite(Backend):
    """SQLite through the stdlib driver (aiosqlite for async env.py files)."""

    name = "sqlite"
    label = "SQLite"
    dialect_names = frozenset({"sqlite"})
    file_based = True
    transactional_ddl = True
    render_as_batch = True
    supported = True
    backup_suffix = "db"
    sidecar_suffixes = JOURNALS
    sync_drivers: ClassVar[dict[str, str]] = {"sqlite": "sqlite"}
    async_drivers: ClassVar[dict[str, str]] = {"sqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite"}
    sync_of_async: ClassVar[dict[str, str]] = {"sqlite+aiosqlite": "sqlite"}
    reads_catalog = True
    # DATETIME is text or a number without a zone; there is no COMMENT.
    stores_timezones = False
    stores_comments = False

    def view_catalog(self) -> SQLiteViews:
        """sqlite_master's CREATE VIEW text; replaced by drop and create."""
        return SQLiteViews()

    def table_bytes(self, connection: Connection, table: str) -> int | None:
        return table_bytes(connection, table)

    def float_bits(self, type_: TypeEngine[Any]) -> int | None:
        """REAL is an 8-byte IEEE double whatever the declaration: no float change narrows here."""
        return 53

    def connect_args(self, seconds: float) -> dict[str, Any]:
        """How long to wait for another connection's write lock."""
        return {"timeout": seconds}

    def read_only_url(self, url: URL, *, brief: bool) -> URL:
        """mode=ro (immutable for a settled WAL file), so a missing file is never created."""
        return read_only_url(url, brief=brief)

    def watched_file(self, url: URL) -> Path | None:
        """A file opened immutable is read without locks: a checkpoint meanwhile must fail the read."""
        return watched_file(url)

    def ddl_timeouts(self, lock_seconds: float, statement_seconds: float, dialect: Dialect) -> list[str]:
        """PRAGMA busy_timeout; SQLite has no statement timeout."""
        return sqlite_timeouts.ddl_timeouts(lock_seconds)

    def lock_timed_out(self, error: BaseException) -> bool:
        """ "database is locked"."""
        return sqlite_timeouts.lock_timed_out(error)

    def lock_holders_hint(self, table: str) -> str:
        """Another writer of the file."""
        return sqlite_timeouts.holders_hint(table)

    def begin_read_only(self, connection: Connection) -> Callable[[], None] | None:
        """PRAGMA query_only on a connection not opened with mode=ro."""
        return begin_read_only(connection)

    def identity_row(self, cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
        """The main file's real path: a file needs no server part."""
        return identity_row(cursor)

    def fingerprints(self, connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
        """sqlite_master's DDL per table, kept to rebuild a table elsewhere."""
        return fingerprints(connection, skip)

    def bulk_catalog(self, connection: Connection, skip: Collection[str]) -> BulkCatalog | None:
        """sqlite_master and the table-valued pragmas in four statements, parsed by SQLAlchemy's own code."""
        return reflect_all(connection, skip)

    def catalog_lines(self, connection: Connection) -> list[tuple[str, str]]:
        """sqlite_master's DDL text, one line per object."""
        return catalog_lines(connection)

    def migration_lock(self, connection: Connection, wait: LockWait) -> AbstractContextManager[None]:
        """flock on `<database>.migrate.lock` (an in-memory database needs none)."""
        return file_lock(connection, wait)

    def migration_options(self, connection: Connection) -> AbstractContextManager[dict[str, Any]]:
        """Each migration atomic (pysqlite autocommits DDL) and foreign-key checked before it commits."""
        return migration_options(connection)

    def catalog_replica(
        self, ddl: dict[str, list[tuple[str, str]]], tables: set[str]
    ) -> AbstractContextManager[Connection | None]:
        """The tables rebuilt in memory from their exact DDL: SQLite's schema is its DDL text."""
        return replica(ddl, tables)

    def backup_format(self) -> SQLiteBackup:
        """The online backup API into a self-contained file; restored in one backup step."""
        return SQLiteBackup()
