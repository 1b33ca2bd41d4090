"""PostgreSQL: transactional DDL, 63-byte identifiers, pg_dump/pg_restore backups, lock-aware rules."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.types import TypeEngine

from ..fingerprint_types import Catalog
from . import postgresql_checks, postgresql_timeouts
from .base import Backend, LockWait
from .base_enums import NamedEnum
from .bulk_types import BulkCatalog
from .postgresql_backup import PostgreSQLBackup
from .postgresql_bulk import reflect_all, without_owned_sequence
from .postgresql_catalog import catalog_lines, fingerprints, identity_row
from .postgresql_defaults import without_cast
from .postgresql_enums import named_enums
from .postgresql_locks import table_bytes
from .postgresql_sessions import advisory_lock, begin_read_only, connect_args, read_only_session
from .postgresql_spellings import is_sequence_default
from .postgresql_swaps import PostgreSQLSwaps
from .postgresql_types import same_type, without_null_cast
from .postgresql_views import PostgreSQLViews
from .postgresql_waits import backend_pid, blocked_by


class PostgreSQL(Backend):
    """PostgreSQL through psycopg 3 (asyncpg or psycopg's async mode for async env.py files)."""

    name = "postgresql"
    label = "PostgreSQL"
    dialect_names = frozenset({"postgresql", "postgres"})
    transactional_ddl = True
    identifier_limit = 63
    identifier_unit = "bytes"
    supported = True
    backup_suffix = "dump"
    online_ddl = "concurrently"
    lock_timeout_sql = "SET lock_timeout = '{seconds}s'"
    sync_drivers: ClassVar[dict[str, str]] = {"postgresql": "postgresql+psycopg"}
    async_drivers: ClassVar[dict[str, str]] = {
        "postgresql": "postgresql+asyncpg",
        "postgresql+psycopg2": "postgresql+asyncpg",
        "postgresql+psycopg": "postgresql+psycopg_async",
    }
    sync_of_async: ClassVar[dict[str, str]] = {
        "postgresql+asyncpg": "postgresql+psycopg",
        "postgresql+psycopg_async": "postgresql+psycopg",
    }
    reads_catalog = True
    # Scratch databases are dropped even while a connection a test leaked still holds them.
    drop_database_options = " WITH (FORCE)"
    timeout_parameters: ClassVar[dict[str, str]] = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout"}
    boolean_literals = ("true", "false")
    primary_keys_not_null = True
    default_spellings: ClassVar[dict[str, str]] = {
        "now()": "current_timestamp",
        "now": "current_timestamp",
        "localtimestamp": "current_timestamp",
    }

    identity_reflection = "options"

    def respell_expression(self, text: str) -> str:
        """Casts dropped, `= ANY (ARRAY[...])` is IN (...)."""
        return postgresql_checks.respell_expression(text)

    def computed_stored_by_default(self, dialect: Dialect) -> bool:
        """STORED before PostgreSQL 18."""
        return postgresql_checks.computed_stored_by_default(dialect)

    def view_catalog(self) -> PostgreSQLViews:
        """Plain and materialized views; pg_depend says what each reads."""
        return PostgreSQLViews()

    def column_swaps(self) -> PostgreSQLSwaps:
        """A plpgsql sync trigger, and a swap in one DO block."""
        return PostgreSQLSwaps()

    def float_bits(self, type_: TypeEngine[Any]) -> int | None:
        """A FLOAT without a precision is double precision here (REAL is single)."""
        plain_float = type(type_).__name__ in ("Float", "FLOAT") and getattr(type_, "precision", None) is None
        return 53 if plain_float else None

    def respell_default(self, value: str) -> str:
        """'x'::character varying is 'x'; now() is current_timestamp."""
        return super().respell_default(without_null_cast(without_cast(value)))

    def same_type(self, inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect) -> bool | None:
        """FLOAT(1..24) is stored as REAL, FLOAT and FLOAT(25..53) as DOUBLE PRECISION."""
        return same_type(inspected, metadata, dialect)

    def autoincrement_default(self, value: str) -> bool:
        """SERIAL keys reflect nextval('<table>_<column>_seq'::regclass) as their default."""
        return is_sequence_default(value)

    def server_pid(self, dbapi_connection: object) -> int | None:
        """psycopg's backend_pid."""
        return backend_pid(dbapi_connection)

    def ddl_timeouts(self, lock_seconds: float, statement_seconds: float, dialect: Dialect) -> list[str]:
        """SET lock_timeout and statement_timeout."""
        return postgresql_timeouts.ddl_timeouts(lock_seconds, statement_seconds)

    def lock_timed_out(self, error: BaseException) -> bool:
        """SQLSTATE 55P03 lock_not_available."""
        return postgresql_timeouts.lock_timed_out(error)

    def lock_holders_hint(self, table: str) -> str:
        """A pg_locks query naming the holders."""
        return postgresql_timeouts.holders_hint(table)

    def lock_holders(self, connection: Connection, table: str) -> str:
        """pg_locks joined to pg_stat_activity."""
        return postgresql_timeouts.lock_holders(connection, table)

    def blocked_by(self, connection: Connection, pid: int) -> str:
        """pg_blocking_pids() and the tables the blocking sessions hold locks on."""
        return blocked_by(connection, pid)

    def enum_types(self, inspector: sa.Inspector) -> dict[str, tuple[str, ...]]:
        """CREATE TYPE ... AS ENUM types, with their labels in order."""
        return {enum["name"]: tuple(enum["labels"]) for enum in inspector.get_enums()}  # type: ignore[attr-defined]

    def table_bytes(self, connection: Connection, table: str) -> int | None:
        return table_bytes(connection, table)

    has_named_enums: ClassVar[bool] = True
    lock_slots_are_scarce: ClassVar[bool] = True

    def named_enums(self, connection: Connection, schema: str | None) -> dict[str, NamedEnum] | None:
        """CREATE TYPE ... AS ENUM types of `schema`, their labels in sort order, and the columns of that type."""
        return named_enums(connection, schema)

    def connect_args(self, seconds: float) -> dict[str, Any]:
        """libpq's connect_timeout, in whole seconds."""
        return connect_args(seconds)

    def read_only_session(self, connection: Connection) -> None:
        """psycopg begins every transaction READ ONLY itself."""
        read_only_session(connection)

    def begin_read_only(self, connection: Connection) -> Callable[[], None] | None:
        """SET TRANSACTION READ ONLY, unless the driver began it so."""
        begin_read_only(connection)
        return None

    def identity_row(self, cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
        """The database, pinned by the server's port, start time and the database's oid."""
        return identity_row(cursor)

    def fingerprints(self, connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
        """(oid, xmin) pairs per table, or just a token saying nothing moved since `previous_token`."""
        return fingerprints(connection, previous_token, skip)

    def catalog_lines(self, connection: Connection) -> list[tuple[str, str]]:
        """Columns, indexes and constraints of the current schema, deparsed."""
        return catalog_lines(connection)

    def bulk_catalog(self, connection: Connection, skip: Collection[str]) -> BulkCatalog | None:
        """SQLAlchemy's batched reflection: one query per kind of object, whatever the number of tables."""
        return reflect_all(connection, skip)

    def autogen_column_reflect(self, impl: Any, catalog: BulkCatalog, info: dict[str, Any]) -> None:
        """Alembic drops a SERIAL's nextval default, asking the server per column; the catalog knows already."""
        without_owned_sequence(catalog, info)

    def migration_lock(self, connection: Connection, wait: LockWait) -> AbstractContextManager[None]:
        """A session advisory lock, which dies with its session: a killed holder leaves no stale lock."""
        return advisory_lock(connection, wait)

    def backup_format(self) -> PostgreSQLBackup:
        """pg_dump custom-format archives, restored by psql in one transaction."""
        return PostgreSQLBackup()
