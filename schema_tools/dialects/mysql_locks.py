"""MySQL/MariaDB online DDL facts: the ALGORITHM and LOCK an ALTER gets, by change kind and server version."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

INSTANT, INPLACE, COPY = "INSTANT", "INPLACE", "COPY"


@dataclass(frozen=True)
class AlterPlan:
    """How the server runs one ALTER: its algorithm, the least lock it allows, and whether it rebuilds the table."""

    algorithm: str
    lock: str  # NONE (reads and writes go on), SHARED (writes wait), EXCLUSIVE (reads and writes wait)
    rebuilds: bool

    @property
    def blocks(self) -> bool:
        return self.algorithm == COPY or self.lock != "NONE"


@dataclass(frozen=True)
class Server:
    """The server's family and version; with no connection, a current MySQL is assumed."""

    mariadb: bool = False
    version: tuple[int, ...] = (8, 0, 40)

    @property
    def label(self) -> str:
        return f"{'MariaDB' if self.mariadb else 'MySQL'} {'.'.join(str(part) for part in self.version[:3])}"

    def at_least(self, mysql: tuple[int, ...], mariadb: tuple[int, ...]) -> bool:
        return self.version >= (mariadb if self.mariadb else mysql)


def server_of(connection: Connection | None) -> Server:
    if connection is None:
        return Server()
    info = tuple(part for part in (connection.dialect.server_version_info or ()) if isinstance(part, int))
    return Server(bool(getattr(connection.dialect, "is_mariadb", False)), info or Server.version)


_ONLINE = AlterPlan(INPLACE, "NONE", False)
_REBUILD = AlterPlan(INPLACE, "NONE", True)
_COPY = AlterPlan(COPY, "SHARED", True)
_INSTANT = AlterPlan(INSTANT, "NONE", False)


def alter_plan(kind: str, server: Server, *, widens: bool = False, relaxes: bool = False) -> AlterPlan | None:
    """The plan for a change kind (None: no ALTER TABLE). Sources: the MySQL 8.0 "Online DDL Operations"
    tables and MariaDB's "InnoDB Online DDL Operations with ALGORITHM=INSTANT" (10.3, 10.4, 10.11)."""
    if kind == "add_column":  # Alembic appends: INSTANT since MySQL 8.0.12 / MariaDB 10.3.2
        return _INSTANT if server.at_least((8, 0, 12), (10, 3, 2)) else _REBUILD
    if kind == "remove_column":
        return _INSTANT if server.at_least((8, 0, 29), (10, 4)) else _REBUILD
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint", "remove_fk"):
        return _ONLINE
    if kind == "add_fk":  # INPLACE only with foreign_key_checks=0, which a migration does not set
        return _COPY
    if kind in ("modify_default", "modify_comment"):
        return _INSTANT
    if kind == "modify_nullable":
        return _INSTANT if relaxes and server.at_least((99,), (10, 4)) else _REBUILD
    if kind == "modify_type":
        if widens:  # VARCHAR widening: INPLACE in place on MySQL, INSTANT on MariaDB 10.4+
            return _INSTANT if server.at_least((99,), (10, 4)) else _ONLINE
        return _COPY
    return None


def table_bytes(connection: Connection, table: str) -> int | None:
    """DATA_LENGTH + INDEX_LENGTH from information_schema.TABLES (InnoDB's estimate, no scan)."""
    query = sa.text(
        "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
    )
    size = connection.execute(query, {"name": table}).scalar()
    return None if size is None else int(size)
