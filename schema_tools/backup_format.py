"""The contract each backend's backup code fulfils (dump, verify, restore, schema copy), and what they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection

from .errors import BackupError
from .secrets import mask_text
from .tools import Client, Timeouts

VERSION_TABLE = "alembic_version"


class Connector(Protocol):
    """Opens a connection with the project's timeouts; login and missing-database errors are one line."""

    def __call__(
        self, url: URL, timeouts: Timeouts, *, autocommit: bool = False
    ) -> AbstractContextManager[Connection]: ...


@dataclass(frozen=True)
class Job:
    """One database a backup, restore or schema copy works on, and what the per-backend code needs to reach it.

    The generic code builds it, so the per-backend modules never import connection or configuration code.
    """

    url: URL
    label: str  # the database as messages name it, password masked
    timeouts: Timeouts
    connector: Connector
    tools: dict[str, str]

    def connect(self, *, autocommit: bool = False) -> AbstractContextManager[Connection]:
        return self.connector(self.url, self.timeouts, autocommit=autocommit)


@dataclass(frozen=True)
class Contents:
    """What a backup holds: the Alembic revision and each table's row count, sorted by table."""

    revision: tuple[str, ...]
    rows: tuple[tuple[str, int], ...]


class BackupFormat(ABC):
    """How one backend's backups are written, checked, restored, and its schema copied into a scratch database."""

    # The format as messages name it ("a pg_dump custom-format archive"), and the client tools it runs.
    description: ClassVar[str]
    client: ClassVar[Client | None] = None

    def require_tools(self) -> dict[str, str]:
        """The client tools' paths, checked before any work; a missing one is a one-line error."""
        return self.client.require() if self.client is not None else {}

    @abstractmethod
    def sniff(self, head: bytes) -> bool:
        """Do a file's first 512 bytes say it is a backup of this format?"""

    @abstractmethod
    def verify(self, path: Path, timeouts: Timeouts) -> None:
        """Check the whole file is a complete, readable backup of this format, without touching a database."""

    @abstractmethod
    def dump(self, job: Job, temp: Path, target: Path) -> Contents:
        """Write a verified backup of the database to `temp` (`target` is where it will be renamed, for messages)."""

    @abstractmethod
    def restore(self, job: Job, path: Path) -> None:
        """Replace the database's contents with the verified backup at `path`, atomically."""

    @abstractmethod
    def clone(self, source: Job, target: Job) -> None:
        """Copy every table, index, view, constraint and sequence of `source` into the empty `target` (no rows)."""

    def source_file(self, job: Job) -> Path | None:
        """The file a backup copies, checked, when the database is a file; None for a server."""
        return None

    def prepare_restore(self, job: Job, path: Path) -> None:
        """Refuse a restore target that cannot take the backup, before the backup is even read; servers take any."""
        return None

    def start_revision(self, job: Job) -> tuple[str, ...]:
        """The revision the database is at now, for a new backup's name."""
        with job.connect() as connection:
            return read_revision(connection, job.url)

    def tables(self, connection: Connection) -> list[tuple[str, str]]:
        """Every table as (schema, name), schema empty for the default one."""
        return [("", name) for name in sa.inspect(connection).get_table_names()]

    def contents(self, connection: Connection, url: URL) -> Contents:
        """The revision and each table's row count; tables outside the default schema are named schema.table."""
        try:
            counts = []
            for schema, name in self.tables(connection):
                query = sa.select(sa.func.count()).select_from(sa.table(name, schema=schema or None))
                counts.append((f"{schema}.{name}" if schema else name, int(connection.execute(query).scalar_one())))
        except sa_exc.DBAPIError as error:
            raise database_failure(error, "counting the rows of the backup", url) from None
        return Contents(read_revision(connection, url), tuple(sorted(counts)))


def read_revision(connection: Connection, url: URL) -> tuple[str, ...]:
    """The rows of alembic_version, sorted; () when the table is missing."""
    try:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return ()
        versions = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return tuple(sorted(str(version) for version in versions))
    except sa_exc.DBAPIError as error:
        raise database_failure(error, f"reading {VERSION_TABLE}", url) from None


def database_failure(error: sa_exc.DBAPIError, doing: str, url: URL) -> BackupError:
    """A failed statement in one line, the first line of the driver's message, password masked."""
    lines = str(getattr(error, "orig", error)).strip().splitlines()
    return BackupError(f"{doing} failed: {mask_text(lines[0] if lines else type(error).__name__, url)}")


def quote_double(name: str) -> str:
    """An identifier in standard SQL double quotes."""
    return '"' + name.replace('"', '""') + '"'
