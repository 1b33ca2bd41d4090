"""Backend: everything schema-tools knows about one database backend, as Alembic's DefaultImpl is for DDL."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.types import TypeEngine

from ..backup_format import BackupFormat
from ..errors import BackupError, UnsupportedBackend
from ..fingerprint_types import Catalog
from .base_enums import NamedEnum
from .base_swaps import ColumnSwaps
from .base_views import ViewCatalog
from .bulk_types import BulkCatalog

# How a backend's migration lock waits: called with one non-blocking attempt and what the lock is on.
LockWait = Callable[[Callable[[], bool], str], None]


class Backend:
    """One database backend's facts and behaviour; a subclass per backend lives in its own module here.

    The base class is what schema-tools assumes of a backend it does not know: no identifier limit, no
    transactional DDL, no backup tools. Features that need more refuse it in one line rather than guess.
    """

    # The canonical name used in messages, file names and rule selectors.
    name: ClassVar[str] = "unknown"
    # How messages name the backend.
    label: ClassVar[str] = "an unknown backend"
    # SQLAlchemy dialect names (URL.get_backend_name(), Dialect.name) this backend answers for.
    dialect_names: ClassVar[frozenset[str]] = frozenset()
    # Is it a single file (SQLite) rather than a database on a server?
    file_based: ClassVar[bool] = False
    # Does DDL run inside a transaction, so that a failed revision rolls back whole?
    transactional_ddl: ClassVar[bool] = False
    # Does Alembic need batch mode ("move and copy") for ALTERs on this backend?
    render_as_batch: ClassVar[bool] = False
    # The longest identifier, and whether it is counted in bytes or characters (None: no limit we check).
    identifier_limit: ClassVar[int | None] = None
    identifier_unit: ClassVar[str] = "characters"
    # The sync driver schema-tools reads through when a URL names only the dialect, by dialect name.
    sync_drivers: ClassVar[dict[str, str]] = {}
    # Sync URL driver name -> the async driver an async env.py needs, and async -> sync.
    async_drivers: ClassVar[dict[str, str]] = {}
    sync_of_async: ClassVar[dict[str, str]] = {}
    # Is this backend one schema-tools supports (every feature works on it)?
    supported: ClassVar[bool] = False
    # Driver name -> the URL query parameter it takes a connect timeout (seconds) by, for URLs handed to env.py.
    timeout_parameters: ClassVar[dict[str, str]] = {}
    # How SQL spells a boolean literal here: (true, false). Integers unless the backend has a real BOOLEAN.
    boolean_literals: ClassVar[tuple[str, str]] = ("1", "0")
    # Lowercased server defaults this backend reflects in its own spelling -> the spelling the models use.
    default_spellings: ClassVar[dict[str, str]] = {}
    # Is every primary key column NOT NULL, whatever CREATE TABLE says? (SQLite keeps NULLs in most keys.)
    primary_keys_not_null: ClassVar[bool] = False
    # Cross-backend diffs (schema_tools.cross_dialect): can a datetime keep its time zone, can a column or
    # table keep a comment? Where not, a schema copied from another backend loses them by design.
    stores_timezones: ClassVar[bool] = True
    stores_comments: ClassVar[bool] = True
    # Draft.make_safe: how this backend changes a busy table without blocking it ("concurrently": CREATE INDEX
    # CONCURRENTLY and NOT VALID constraints; "online": ALGORITHM/LOCK clauses; "": it cannot, nothing to do),
    # the statement bounding a step's wait for a lock ({seconds}), and whether UPDATE takes a LIMIT.
    online_ddl: ClassVar[str] = ""
    lock_timeout_sql: ClassVar[str] = ""
    update_limit: ClassVar[bool] = False

    def autoincrement_default(self, value: str) -> bool:
        """Is a reflected server default this backend's own numbering of an autoincrement key? Not by default."""
        return False

    def __init__(self, dialect_name: str = "unknown") -> None:
        self.dialect_name = dialect_name

    def identifier_size(self, name: str) -> int:
        """The size of an identifier in the unit the backend limits."""
        return len(name.encode()) if self.identifier_unit == "bytes" else len(name)

    def float_bits(self, type_: TypeEngine[Any]) -> int | None:
        """The mantissa bits a float type really stores on this backend; None: as its declared precision says."""
        return None

    def same_type(self, inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect) -> bool | None:
        """True when this backend stores the models' type as the inspected one though the spellings differ (MySQL
        makes FLOAT(53) a DOUBLE); None: no fact says so, Alembic's own comparison decides. Never False."""
        return None

    def restore_reflected(self, connection: Connection, tables: dict[str, sa.Table], models: sa.MetaData) -> None:
        """Give reflected `tables` back what the backend re-spelled against the `models`; by default nothing."""

    def implicit_indexes(self, table: sa.Table) -> set[sa.Index]:
        """Indexes of a reflected table the backend made by itself, which a copy on another backend leaves out."""
        return set()

    def portable_candidates(self, type_: TypeEngine[Any]) -> tuple[TypeEngine[Any], ...]:
        """Generic types a type reflected here stands for, tried before its own generic form on another backend."""
        return ()

    def catalog_check_constraints(
        self, connection: Connection, table: str | None = None
    ) -> list[tuple[str, str | None, str]] | None:
        """(table, name, SQL) of every CHECK (of `table` only, if given), when SQLAlchemy's reflection misses some;
        None: reflection sees all."""
        return None

    def enum_types(self, inspector: sa.Inspector) -> dict[str, tuple[str, ...]]:
        """Named enum types (not columns) with their labels in order; by default the backend has none."""
        return {}

    def named_enums(self, connection: Connection, schema: str | None) -> dict[str, NamedEnum] | None:
        """Named enum types of `schema` with their labels and columns (comparators/enums.py); None: none here."""
        return None

    # Whether named_enums reads anything: without named types, no table need be kept for their sake.
    has_named_enums: ClassVar[bool] = False
    # Whether a transaction's table locks fill a shared table of a few thousand slots (PostgreSQL's
    # max_locks_per_transaction): then live counts over thousands of tables must let their locks go.
    lock_slots_are_scarce: ClassVar[bool] = False

    def view_catalog(self) -> ViewCatalog:
        """How views are listed, read and written here (dialects/*_views.py); by default plain SQL views."""
        return ViewCatalog()

    def column_swaps(self) -> ColumnSwaps | None:
        """How make_safe swaps in a column of a new type (dialects/*_swaps.py); None: keep the naive type change."""
        return None

    @property
    def family(self) -> str:
        """The name reports use: the canonical one (MariaDB is mysql), or the dialect's own for an unknown backend."""
        return self.name if self.supported else self.dialect_name

    def respell_default(self, value: str) -> str:
        """A lowercased reflected server default in the spelling the models use (what autogenerate compares)."""
        return self.default_spellings.get(value, value)

    # How a column's identity is reflected: "options" (IDENTITY and its options), "auto_increment" (a flag), "none".
    identity_reflection: ClassVar[str] = "none"

    def respell_expression(self, text: str) -> str:
        """A CHECK or computed expression (lowercased, unquoted, no spaces) in the spelling the models use."""
        return text

    def table_bytes(self, connection: Connection, table: str) -> int | None:
        """The bytes `table` takes with its indexes, from the catalog (None: this backend cannot say cheaply)."""
        return None

    def computed_stored_by_default(self, dialect: Dialect) -> bool:
        """Whether a computed column without persisted= is STORED here (VIRTUAL on SQLite and MySQL/MariaDB)."""
        return False

    def table_check_constraints(self, connection: Connection, table: sa.Table) -> list[dict[str, Any]]:
        """The CHECKs of a reflected table as {name, sqltext}, without those the backend made by itself."""
        checks = (c for c in table.constraints if isinstance(c, sa.CheckConstraint))
        return [{"name": str(c.name) if isinstance(c.name, str) else None, "sqltext": str(c.sqltext)} for c in checks]

    def server_pid(self, dbapi_connection: object) -> int | None:
        """The server process behind a driver connection, to ask what blocks it; None when it cannot be asked."""
        return None

    def blocked_by(self, connection: Connection, pid: int) -> str:
        """Which sessions block server process `pid` (asked on another `connection`); empty when unknown."""
        return ""

    def ddl_timeouts(self, lock_seconds: float, statement_seconds: float, dialect: Dialect) -> list[str]:
        """Session statements that make a migration's DDL give up a lock wait (0: no limit); none when unknown."""
        return []

    def lock_timed_out(self, error: BaseException) -> bool:
        """Did a driver error say a lock wait gave up, so the statement did nothing? Never on an unknown backend."""
        return False

    def lock_holders_hint(self, table: str) -> str:
        """How to find the sessions holding a lock on `table`."""
        return "the sessions holding locks on it"

    def lock_holders(self, connection: Connection, table: str) -> str:
        """The sessions holding a lock on `table` now (asked on another `connection`); empty when unknown."""
        return ""

    def migration_options(self, connection: Connection) -> AbstractContextManager[dict[str, Any]]:
        """Extra context.configure options while env.py migrates through `connection`; by default none."""
        return nullcontext({})

    def catalog_replica(
        self, ddl: dict[str, list[tuple[str, str]]], tables: set[str]
    ) -> AbstractContextManager[Connection | None]:
        """A throwaway copy of `tables` built from their DDL, cheaper to reflect; None: reflect the database."""
        return nullcontext(None)

    def bulk_catalog(self, connection: Connection, skip: Collection[str]) -> BulkCatalog | None:
        """Every table's reflection in a fixed number of statements, for the fast cold diff; None: not here."""
        return None

    def implicit_index_names(self, table: str, catalog: BulkCatalog) -> set[str]:
        """Reflected indexes the backend made by itself, which Alembic leaves out of both sides. None here."""
        return set()

    def autogen_column_reflect(self, impl: Any, catalog: BulkCatalog, info: dict[str, Any]) -> None:
        """What Alembic's column_reflect hook does to a reflected column, without an Inspector of its own."""
        impl.autogen_column_reflect(None, None, info)

    # Extra SQL after CREATE DATABASE and DROP DATABASE IF EXISTS <name> (scratch databases).
    create_database_options: ClassVar[str] = ""
    drop_database_options: ClassVar[str] = ""
    # Can fingerprints() and catalog_lines() read this backend's catalog?
    reads_catalog: ClassVar[bool] = False

    def connect_args(self, seconds: float) -> dict[str, Any]:
        """The driver's arguments for a connect timeout of `seconds`; an unknown driver keeps its own."""
        return {}

    def configure_engine(self, engine: Engine, read_timeout: float | None) -> None:
        """Settings each new connection of an engine needs once connected; by default none."""

    def read_only_url(self, url: URL, *, brief: bool) -> URL:
        """The URL that opens the database read-only, where a URL can say so; a server's is unchanged."""
        return url

    def watched_file(self, url: URL) -> Path | None:
        """The file a read must check was not rewritten meanwhile (it was opened without locks); else None."""
        return None

    def read_only_session(self, connection: Connection) -> None:
        """Make a connection we opened begin read-only transactions, where the driver can; by default nothing."""

    def begin_read_only(self, connection: Connection) -> Callable[[], None] | None:
        """Make the open transaction read-only; returns what undoes a connection-level setting, if any."""
        return None

    def identity_row(self, cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
        """The database's name and what pins its server, read through a DBAPI cursor; unknown: nothing pins it."""
        return "", ("unknown",)

    def fingerprints(self, connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
        """A fingerprint per table but `skip`, from one catalog query."""
        raise UnsupportedBackend(f"no catalog fingerprint for {self.dialect_name}")

    def catalog_lines(self, connection: Connection) -> list[tuple[str, str]]:
        """(table, line) for every column, index and constraint, to tell what a migration changed."""
        raise UnsupportedBackend(f"cannot read the catalog of {self.dialect_name}: {self.label} is not supported")

    def migration_lock(self, connection: Connection, wait: LockWait) -> AbstractContextManager[None]:
        """Hold the database's migration lock, polling with `wait`; an unknown backend runs without one."""
        return nullcontext()

    # The suffix of backup file names, and the files beside a database file that belong to it (journals).
    backup_suffix: ClassVar[str] = "backup"
    sidecar_suffixes: ClassVar[tuple[str, ...]] = ()

    def backup_format(self) -> BackupFormat:
        """How backups of this backend are made, checked and restored, and its schema copied; none by default."""
        raise BackupError(
            f"backups, restores and schema copies of {self.dialect_name} databases are not supported: "
            "use SQLite, PostgreSQL or MySQL/MariaDB"
        )

    def __repr__(self) -> str:
        return f"<Backend {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Backend) and (self.name, self.dialect_name) == (other.name, other.dialect_name)

    def __hash__(self) -> int:
        return hash((self.name, self.dialect_name))
