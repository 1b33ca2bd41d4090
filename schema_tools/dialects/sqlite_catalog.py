"""SQLite's catalog: the file a connection reaches, and sqlite_master's DDL as fingerprints and lines."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor

from ..fingerprint_types import Catalog, digest

_FINGERPRINTS = "SELECT tbl_name, type, name, sql FROM sqlite_master WHERE type IN ('table', 'index')"
_LINES = (
    "SELECT tbl_name, type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master "
    "WHERE name NOT LIKE 'sqlite_%'"
)


def identity_row(cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
    """The real path of the main database file ("" in memory); a file needs no server part."""
    cursor.execute("PRAGMA database_list")
    files = {row[1]: row[2] for row in cursor.fetchall()}
    path = files.get("main") or ""
    return (os.path.realpath(path) if path else ""), ()


def fingerprints(connection: Connection, skip: Collection[str]) -> Catalog:
    """A digest of each table's and its indexes' DDL, and that DDL itself (tables first)."""
    rows_by_table: dict[str, list[str]] = defaultdict(list)
    ddl: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table, kind, name, sql in connection.exec_driver_sql(_FINGERPRINTS):
        if table.startswith("sqlite_") or table in skip:
            continue
        rows_by_table[table].append(f"{kind}|{name}|{sql}")
        if sql is not None:
            ddl[table].append((kind, sql))
    for statements in ddl.values():
        statements.sort(key=lambda item: item[0] != "table")
    return Catalog({table: digest(rows) for table, rows in rows_by_table.items()}, ddl=dict(ddl))


def catalog_lines(connection: Connection) -> list[tuple[str, str]]:
    """(table, 'type name: DDL') for every object but SQLite's own."""
    return [(str(table), str(line)) for table, line in connection.exec_driver_sql(_LINES).all()]
