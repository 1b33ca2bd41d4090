"""MySQL and MariaDB: one backend, non-transactional DDL, 64-character identifiers, mysqldump backups."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.types import TypeEngine

from ..fingerprint_types import Catalog
from . import mysql_checks, mysql_implicit, mysql_timeouts
from .base import Backend, LockWait
from .bulk_types import BulkCatalog
from .mysql_backup import MySQLBackup
from .mysql_bulk import reflect_all
from .mysql_catalog import catalog_lines, fingerprints, identity_row
from .mysql_locks import table_bytes
from .mysql_reflection import implicit_indexes, portable_candidates, restore_reflected
from .mysql_sessions import begin_read_only, configure_engine, connect_args, named_lock
from .mysql_swaps import MySQLSwaps
from .mysql_types import same_type
from .mysql_views import MySQLViews


class MySQL(Backend):
    """MySQL or MariaDB through PyMySQL (aiomysql or asyncmy for async env.py files)."""

    name = "mysql"
    label = "MySQL/MariaDB"
    dialect_names = frozenset({"mysql", "mariadb"})
    identifier_limit = 64
    supported = True
    backup_suffix = "sql"
    online_ddl = "online"
    lock_timeout_sql = "SET SESSION lock_wait_timeout = {seconds}"
    update_limit = True
    sync_drivers: ClassVar[dict[str, str]] = {"mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
    async_drivers: ClassVar[dict[str, str]] = {
        "mysql": "mysql+aiomysql",
        "mysql+pymysql": "mysql+aiomysql",
        "mariadb": "mariadb+aiomysql",
        "mariadb+pymysql": "mariadb+aiomysql",
    }
    sync_of_async: ClassVar[dict[str, str]] = {
        "mysql+aiomysql": "mysql+pymysql",
        "mysql+asyncmy": "mysql+pymysql",
        "mariadb+aiomysql": "mariadb+pymysql",
        "mariadb+asyncmy": "mariadb+pymysql",
    }
    reads_catalog = True
    # Scratch databases hold any text the models do, whatever the server's default character set.
    create_database_options = " CHARACTER SET utf8mb4"
    primary_keys_not_null = True
    timeout_parameters: ClassVar[dict[str, str]] = {"pymysql": "connect_timeout"}
    # MariaDB reflects now() as current_timestamp() (booleans as 0/1, which the normaliser handles for all).
    default_spellings: ClassVar[dict[str, str]] = {
        "current_timestamp()": "current_timestamp",
        "now()": "current_timestamp",
        "localtimestamp": "current_timestamp",
    }
    # DATETIME keeps no zone (TIMESTAMP converts to UTC and back, and keeps none either).
    stores_timezones = False

    identity_reflection = "auto_increment"

    def table_check_constraints(self, connection: Connection, table: sa.Table) -> list[dict[str, Any]]:
        """Both levels of CHECK (MariaDB's catalog), without MariaDB's json_valid ones for JSON columns."""
        found = super().table_check_constraints(connection, table)
        return mysql_checks.table_check_constraints(
            table.name, found, self.catalog_check_constraints(connection, table.name)
        )

    def view_catalog(self) -> MySQLViews:
        """SHOW CREATE VIEW, CREATE OR REPLACE VIEW; what a view reads is parsed from its definition."""
        return MySQLViews()

    def column_swaps(self) -> MySQLSwaps:
        """BEFORE INSERT and BEFORE UPDATE triggers, and a swap under LOCK TABLES."""
        return MySQLSwaps()

    def restore_reflected(self, connection: Connection, tables: dict[str, sa.Table], models: sa.MetaData) -> None:
        """Unique constraints come back as unique indexes, MariaDB's JSON as LONGTEXT: give back the models' own."""
        restore_reflected(connection, tables, models)

    def implicit_indexes(self, table: sa.Table) -> set[sa.Index]:
        """MySQL indexes every foreign key column by itself."""
        return implicit_indexes(table)

    def portable_candidates(self, type_: TypeEngine[Any]) -> tuple[TypeEngine[Any], ...]:
        """TINYINT(1) is MySQL's BOOLEAN."""
        return portable_candidates(type_)

    def same_type(self, inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect) -> bool | None:
        """FLOAT(25..53) and DOUBLE PRECISION are stored as DOUBLE, FLOAT(0..24) as FLOAT, BOOL as TINYINT(1)."""
        return same_type(inspected, metadata, dialect)

    def table_bytes(self, connection: Connection, table: str) -> int | None:
        return table_bytes(connection, table)

    def catalog_check_constraints(
        self, connection: Connection, table: str | None = None
    ) -> list[tuple[str, str | None, str]] | None:
        """MariaDB keeps column-level CHECKs (its JSON columns' json_valid) out of what SQLAlchemy reflects, so
        there they are read from information_schema, which lists both levels. Asked for one table (as the CHECK
        comparator asks, table after table), the server opens only that table: without the TABLE_NAME filter it
        opens every table of the schema each time, N x N opens over a compare."""
        if not getattr(connection.dialect, "is_mariadb", False):
            return None
        only = "" if table is None else " AND TABLE_NAME = :table"
        query = sa.text(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            f"WHERE CONSTRAINT_SCHEMA = DATABASE(){only} ORDER BY TABLE_NAME, CONSTRAINT_NAME"
        )
        rows = connection.execute(query, {} if table is None else {"table": table}).all()
        return [(owner, name, clause) for owner, name, clause in rows]

    def connect_args(self, seconds: float) -> dict[str, Any]:
        """PyMySQL's connect timeout, and a read timeout for the server's greeting."""
        return connect_args(seconds)

    def configure_engine(self, engine: Engine, read_timeout: float | None) -> None:
        """Once greeted, reads wait `read_timeout` (None: as long as a statement runs)."""
        configure_engine(engine, read_timeout)

    def ddl_timeouts(self, lock_seconds: float, statement_seconds: float, dialect: Dialect) -> list[str]:
        """lock_wait_timeout, innodb_lock_wait_timeout, and MariaDB's max_statement_time."""
        return mysql_timeouts.ddl_timeouts(lock_seconds, statement_seconds, bool(getattr(dialect, "is_mariadb", False)))

    def lock_timed_out(self, error: BaseException) -> bool:
        """Errors 1205 (lock wait timeout) and 1213 (deadlock)."""
        return mysql_timeouts.lock_timed_out(error)

    def lock_holders_hint(self, table: str) -> str:
        """The process list and open InnoDB transactions."""
        return mysql_timeouts.holders_hint(table)

    def begin_read_only(self, connection: Connection) -> Callable[[], None] | None:
        """START TRANSACTION READ ONLY."""
        begin_read_only(connection)
        return None

    def identity_row(self, cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
        """The database, pinned by the server's host name, port and data directory."""
        return identity_row(cursor)

    def fingerprints(self, connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
        """information_schema's rows per table (MariaDB: the table file's time)."""
        return fingerprints(connection, previous_token, skip)

    def bulk_catalog(self, connection: Connection, skip: Collection[str]) -> BulkCatalog | None:
        """information_schema rebuilt into each table's SHOW CREATE TABLE, parsed as reflection does (MariaDB 10.11)."""
        return reflect_all(connection, skip)

    def implicit_index_names(self, table: str, catalog: BulkCatalog) -> set[str]:
        """The indexes InnoDB made for foreign keys, which Alembic's MySQL impl leaves out of the compare."""
        return mysql_implicit.implicit_index_names(table, catalog)

    def catalog_lines(self, connection: Connection) -> list[tuple[str, str]]:
        """Columns, indexes and constraints of the current database."""
        return catalog_lines(connection)

    def migration_lock(self, connection: Connection, wait: LockWait) -> AbstractContextManager[None]:
        """GET_LOCK on a separate connection, named after the database."""
        return named_lock(connection, wait)

    def backup_format(self) -> MySQLBackup:
        """Single-database mysqldump files, restored through a scratch database and RENAME TABLE."""
        return MySQLBackup()
