"""MySQL's and MariaDB's catalog: which server and database a connection reaches, fingerprints, DDL lines."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor

from ..fingerprint_types import Catalog, digest

_IDENTITY = "SELECT DATABASE(), @@hostname, @@port, @@datadir"

_COMMON = """
SELECT TABLE_NAME, CONCAT_WS('|', 't', TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT)
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
UNION ALL
SELECT TABLE_NAME, CONCAT_WS('|', 'c', ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE,
       IFNULL(COLUMN_DEFAULT, '<none>'), EXTRA, COLUMN_COMMENT, IFNULL(COLLATION_NAME, ''),
       IFNULL(GENERATION_EXPRESSION, ''))
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT TABLE_NAME, CONCAT_WS('|', 'i', INDEX_NAME, SEQ_IN_INDEX, IFNULL(COLUMN_NAME, ''), NON_UNIQUE,
       IFNULL(SUB_PART, ''), INDEX_TYPE, IFNULL(COLLATION, ''), INDEX_COMMENT)
  FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT TABLE_NAME, CONCAT_WS('|', 'k', CONSTRAINT_NAME, ORDINAL_POSITION, COLUMN_NAME,
       IFNULL(REFERENCED_TABLE_SCHEMA, ''), IFNULL(REFERENCED_TABLE_NAME, ''), IFNULL(REFERENCED_COLUMN_NAME, ''))
  FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT TABLE_NAME, CONCAT_WS('|', 'r', CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE, MATCH_OPTION)
  FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
"""
_CHECKS = """
UNION ALL
SELECT tc.TABLE_NAME, CONCAT_WS('|', 'x', cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE)
  FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc
    ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
 WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'
"""

# MariaDB rewrites a table's .frm on every DDL statement that touches it (ALTER, CREATE/DROP INDEX,
# comments, renames), and information_schema reports that file's time as CREATE_TIME: one cheap query
# over TABLES instead of opening every table for COLUMNS and STATISTICS (a quarter of the time). The
# time has whole seconds, so a table stamped this second or the one before (file times come from a
# coarse clock that lags NOW() by a tick) is "unsettled" and compared every run until it settles, as git
# does with racily clean files. A table's FKs name the tables they refer to, whose
# own changes (a renamed referred column) then invalidate it too. tests/test_diff_session.py checks
# each kind of DDL.
_MARIADB_TABLES = """
SELECT TABLE_NAME, CONCAT_WS('|', IFNULL(CREATE_TIME, ''), ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT),
       CREATE_TIME IS NULL OR CREATE_TIME >= NOW() - INTERVAL 1 SECOND
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
"""
# Every change to a table's keys rewrites that table's .frm, and renaming or dropping a referred table changes
# the names above: when no row above moved and none is unsettled, nothing below did either, so this second
# statement (which opens every table) is skipped.
_MARIADB_REFERENCES = """
SELECT TABLE_NAME, CONCAT_WS('|', CONSTRAINT_NAME, REFERENCED_TABLE_NAME, UPDATE_RULE, DELETE_RULE, MATCH_OPTION),
       REFERENCED_TABLE_NAME
  FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
"""

_LINES = (
    "SELECT TABLE_NAME, CONCAT('column ', COLUMN_NAME, ' ', COLUMN_TYPE, IF(IS_NULLABLE = 'NO', ' NOT NULL', ''), "
    "IFNULL(CONCAT(' DEFAULT ', COLUMN_DEFAULT), '')) FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE()",
    "SELECT TABLE_NAME, CONCAT(IF(NON_UNIQUE = 0, 'unique index ', 'index '), INDEX_NAME, ' (', "
    "GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', '), ')') FROM information_schema.STATISTICS "
    "WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE",
    "SELECT TABLE_NAME, CONCAT(LOWER(CONSTRAINT_TYPE), ' ', CONSTRAINT_NAME) FROM information_schema.TABLE_CONSTRAINTS "
    "WHERE TABLE_SCHEMA = DATABASE()",
)


def identity_row(cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
    """The database's name, pinned to one server by its host name, port and data directory."""
    cursor.execute(_IDENTITY)
    row = cursor.fetchone()
    assert row is not None  # the query always returns one row
    return ("" if row[0] is None else str(row[0])), tuple("" if value is None else str(value) for value in row[1:])


def fingerprints(connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
    """A digest per table of everything information_schema says about it (MariaDB: its .frm file's time).

    On MariaDB, a token of the tables' stamps: when it equals `previous_token`, nothing moved and only
    the token comes back.
    """
    if getattr(connection.dialect, "is_mariadb", False):
        return _mariadb_fingerprints(connection, previous_token, skip)
    rows_by_table: dict[str, list[str]] = defaultdict(list)
    for table, text in connection.exec_driver_sql(_COMMON + _CHECKS):
        if table not in skip:
            rows_by_table[table].append(text)
    return Catalog({table: digest(rows) for table, rows in rows_by_table.items()})


def _mariadb_fingerprints(connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
    stamp: dict[str, str] = {}
    unsettled: set[str] = set()
    for table, text, racy in connection.exec_driver_sql(_MARIADB_TABLES):
        stamp[table] = text
        if racy:
            unsettled.add(table)
    # An unsettled table may change again within its stamp's second: no token then, so the next call reads all.
    token = None if unsettled else digest([f"{table}|{text}" for table, text in stamp.items()])
    if token is not None and token == previous_token:
        return Catalog(None, token)
    own: dict[str, list[str]] = {table: [f"t|{text}"] for table, text in stamp.items()}
    refers_to: dict[str, list[str]] = defaultdict(list)
    for table, text, referred in connection.exec_driver_sql(_MARIADB_REFERENCES):
        own.setdefault(table, []).append(f"r|{text}")
        refers_to[table].append(referred)
    fingerprints = {}
    for table, rows in own.items():
        if table in skip:
            continue
        referred = [f"{name}|{stamp.get(name)}" for name in refers_to.get(table, ())]
        if table in unsettled or unsettled.intersection(refers_to.get(table, ())):
            referred.append(f"unsettled|{time.monotonic_ns()}")
        fingerprints[table] = digest(rows + referred)
    return Catalog(fingerprints, token)


def catalog_lines(connection: Connection) -> list[tuple[str, str]]:
    """(table, line) for each column, index and constraint in the current database."""
    return [(str(table), str(line)) for query in _LINES for table, line in connection.exec_driver_sql(query).all()]
