"""Per-table fingerprints of the models and of the live catalog, so a re-diff compares only what changed."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from .settings import INTERNAL_TABLES

# A fingerprint may be over-inclusive (a spurious change only costs one table's comparison) but must
# never miss anything Alembic's comparison reads: every query below errs towards including more.

_SQLITE = "SELECT tbl_name, type, name, sql FROM sqlite_master WHERE type IN ('table', 'index')"

# PostgreSQL writes a new row version (a new xmin) for every catalog row a DDL statement changes, and
# deletes the rows of what it drops: (oid, xmin) pairs are an exact, cheap change marker. Deparsing the
# definitions (pg_get_indexdef, format_type) would cost 2-4x as much. Names the table refers to through
# other objects (FK targets, enum labels) are read through, so changing those invalidates it too.
_POSTGRESQL = """
SELECT c.relname, md5(concat_ws('|', c.xmin,
  (SELECT string_agg(a.attnum || ':' || a.xmin, ',' ORDER BY a.attnum) FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0),
  (SELECT string_agg(d.oid || ':' || d.xmin, ',' ORDER BY d.oid) FROM pg_attrdef d WHERE d.adrelid = c.oid),
  (SELECT string_agg(ds.objsubid || ':' || ds.xmin, ',' ORDER BY ds.objsubid)
     FROM pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass),
  (SELECT string_agg(i.indexrelid || ':' || i.xmin || ':' || ic.xmin, ',' ORDER BY i.indexrelid)
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid),
  (SELECT string_agg(con.oid || ':' || con.xmin || CASE WHEN con.contype = 'f'
      THEN ':' || con.confrelid::regclass::text || ':' || (SELECT string_agg(r.attname, ',' ORDER BY r.attnum)
        FROM pg_attribute r WHERE r.attrelid = con.confrelid AND r.attnum = ANY (con.confkey))
      ELSE '' END, ',' ORDER BY con.oid)
     FROM pg_constraint con WHERE con.conrelid = c.oid),
  (SELECT string_agg(t.oid || ':' || t.xmin || ':' || coalesce((SELECT string_agg(e.enumlabel || ':' || e.xmin, ','
      ORDER BY e.oid) FROM pg_enum e WHERE e.enumtypid = t.oid), ''), ',' ORDER BY t.oid)
     FROM pg_type t
    WHERE t.oid IN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = c.oid AND a.atttypid >= 16384))
))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""

_CATALOGS = (
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_description",
    "pg_index",
    "pg_constraint",
    "pg_type",
    "pg_enum",
)
# Whether anything at all moved in the catalogs the fingerprints read: a count and a sum of per-row
# version hashes (any DDL adds or replaces row versions) costs a third of the per-table query, which then
# runs only when this token differs from the last one: the same single statement either way.
_POSTGRESQL_TOKEN = "SELECT concat_ws('|', current_schema(), {}) AS token".format(
    ", ".join(f"(SELECT count(*) || ':' || sum(hashtext(ctid::text || ':' || xmin::text)) FROM {c})" for c in _CATALOGS)
)
_PER_TABLE, _FROM = _POSTGRESQL.strip().split("FROM pg_class c JOIN", 1)
_POSTGRESQL_GUARDED = f"""WITH guard AS MATERIALIZED ({_POSTGRESQL_TOKEN})
SELECT NULL::name, token FROM guard
UNION ALL
{_PER_TABLE}FROM guard, pg_class c JOIN{_FROM} AND guard.token IS DISTINCT FROM %(previous)s"""

_MYSQL_COMMON = """
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
_MYSQL_CHECKS = """
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
_MARIADB_GUARD = """
SELECT 't', TABLE_NAME, CONCAT_WS('|', IFNULL(CREATE_TIME, ''), ENGINE, TABLE_COLLATION, CREATE_OPTIONS,
       TABLE_COMMENT), NULL, CREATE_TIME IS NULL OR CREATE_TIME >= NOW() - INTERVAL 1 SECOND
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
UNION ALL
SELECT 'r', TABLE_NAME, CONCAT_WS('|', CONSTRAINT_NAME, REFERENCED_TABLE_NAME, UPDATE_RULE, DELETE_RULE, MATCH_OPTION),
       REFERENCED_TABLE_NAME, 0
  FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
"""


def _mariadb_fingerprints(connection: Connection) -> dict[str, str]:
    own: dict[str, list[str]] = defaultdict(list)
    refers_to: dict[str, list[str]] = defaultdict(list)
    stamp: dict[str, str] = {}
    unsettled: set[str] = set()
    for kind, table, text, referred, racy in connection.exec_driver_sql(_MARIADB_GUARD):
        own[table].append(f"{kind}|{text}")
        if kind == "t":
            stamp[table] = text
            if racy:
                unsettled.add(table)
        else:
            refers_to[table].append(referred)
    fingerprints = {}
    for table, rows in own.items():
        if table in INTERNAL_TABLES:
            continue
        referred = [f"{name}|{stamp.get(name)}" for name in refers_to.get(table, ())]
        if table in unsettled or unsettled.intersection(refers_to.get(table, ())):
            referred.append(f"unsettled|{time.monotonic_ns()}")
        fingerprints[table] = _digest(rows + referred)
    return fingerprints


def _digest(rows: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(rows)).encode()).hexdigest()


@dataclass(frozen=True)
class Catalog:
    """The live side's fingerprints: `tables` is None when `token` shows nothing changed since last time.

    `ddl` holds SQLite's (type, sql) rows per table, tables first, to rebuild a table elsewhere.
    """

    tables: dict[str, str] | None
    token: str | None = None
    ddl: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def database_fingerprints(connection: Connection, previous_token: str | None = None) -> Catalog:
    """One catalog query: a fingerprint per table, or on PostgreSQL just "unchanged" when nothing moved."""
    backend = connection.dialect.name
    rows_by_table: dict[str, list[str]] = defaultdict(list)
    if backend == "sqlite":
        ddl: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for table, kind, name, sql in connection.exec_driver_sql(_SQLITE):
            if table.startswith("sqlite_") or table in INTERNAL_TABLES:
                continue
            rows_by_table[table].append(f"{kind}|{name}|{sql}")
            if sql is not None:
                ddl[table].append((kind, sql))
        for statements in ddl.values():
            statements.sort(key=lambda item: item[0] != "table")
        return Catalog({table: _digest(rows) for table, rows in rows_by_table.items()}, ddl=dict(ddl))
    if backend == "postgresql":
        rows = connection.exec_driver_sql(_POSTGRESQL_GUARDED, {"previous": previous_token}).all()
        token = next(digest for name, digest in rows if name is None)
        tables = {name: digest for name, digest in rows if name is not None and name not in INTERNAL_TABLES}
        return Catalog(None if token == previous_token else tables, token)
    if backend in ("mysql", "mariadb"):
        if getattr(connection.dialect, "is_mariadb", False):
            return Catalog(_mariadb_fingerprints(connection))
        for table, text in connection.exec_driver_sql(_MYSQL_COMMON + _MYSQL_CHECKS):
            if table not in INTERNAL_TABLES:
                rows_by_table[table].append(text)
        return Catalog({table: _digest(rows) for table, rows in rows_by_table.items()})
    raise NotImplementedError(f"no catalog fingerprint for {backend}")


def supports_fingerprints(dialect: Dialect) -> bool:
    """Whether database_fingerprints knows this backend's catalog."""
    return dialect.name in ("sqlite", "postgresql", "mysql", "mariadb")


def _type_key(type_: Any, dialect: Dialect, memo: dict[int, Any]) -> tuple[Any, str]:
    # Alembic compares types by their class (affinity) and the DDL the dialect renders for them. Rendering
    # is most of a fingerprint's cost, so it is kept while the type object and its attributes stay the same.
    state = type_.__dict__
    seen = memo.get(id(type_))
    if seen is not None and seen[0] is type_ and seen[1] == state:
        return seen[2]
    try:
        key = (type(type_), type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot render: its repr still changes when it does
        key = (type(type_), repr(type_))
    memo[id(type_)] = (type_, dict(state), key)
    return key


def _options(item: Any) -> str:
    # dialect_options is created on first use, by us or by Alembic: most objects have none to show
    if "dialect_options" not in item.__dict__:
        return ""
    options = item.dialect_kwargs
    return repr(sorted(options.items())) if len(options) else ""


def _default_key(default: Any, memo: dict[int, tuple[Any, str]]) -> str | None:
    if default is None:
        return None
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return arg
    seen = memo.get(id(arg))
    if seen is None or seen[0] is not arg:  # expressions are immutable: render each one once per session
        seen = memo[id(arg)] = (arg, f"{type(arg).__name__}:{getattr(arg, 'text', None) or arg!s}")
    return seen[1]


def _fk_key(element: sa.ForeignKey) -> tuple[Any, ...]:
    try:  # the resolved target, as Alembic's comparison reads it (a renamed referred column counts)
        column = element.column
        return (column.table.schema, column.table.name, column.name)
    except Exception:
        return (element.target_fullname,)


def _constraint_key(constraint: sa.Constraint) -> tuple[Any, ...]:
    key: list[Any] = [type(constraint).__name__, str(constraint.name), constraint.deferrable, constraint.initially]
    if isinstance(constraint, ColumnCollectionConstraint):
        key.append(tuple(column.name for column in constraint.columns))
    if isinstance(constraint, sa.ForeignKeyConstraint):
        key += [tuple(_fk_key(element) for element in constraint.elements), constraint.ondelete, constraint.onupdate]
        key.append(constraint.match)
    if isinstance(constraint, sa.CheckConstraint):
        key.append(str(constraint.sqltext))
    key.append(_options(constraint))
    return tuple(key)


def _column_key(column: sa.Column[Any], dialect: Dialect, memo: dict[int, Any]) -> tuple[Any, ...]:
    rare = None  # most columns have none of these: one test instead of four calls
    if column.server_default is not None or column.computed is not None or column.identity is not None:
        rare = (_default_key(column.server_default, memo), repr(column.computed), repr(column.identity))
    return (
        column.name,
        _type_key(column.type, dialect, memo),
        column.nullable,
        column.primary_key,
        column.autoincrement,
        column.comment,
        rare,
        _options(column),
    )


def _table_key(table: sa.Table, dialect: Dialect, convention: str, memo: dict[int, Any]) -> tuple[Any, ...]:
    columns = tuple([_column_key(column, dialect, memo) for column in table.columns])
    constraints = tuple(sorted((_constraint_key(c) for c in table.constraints), key=lambda key: key[:2]))
    indexes = tuple(
        sorted(
            (
                str(index.name),
                index.unique,
                tuple(str(expression) for expression in index.expressions),
                _options(index),
            )
            for index in table.indexes
        )
    )
    options = _options(table)
    return (convention, table.schema, table.name, table.comment, options, columns, constraints, indexes)


def model_fingerprints(
    metadata: MetaData, dialect: Dialect, memo: dict[int, Any] | None = None
) -> dict[str, tuple[Any, ...]]:
    """{table: everything Alembic compares about it in the models}, by table name.

    Built from the objects' current state each time, so an in-place edit (a new type, a dropped
    index) shows up as well as a re-declared class.
    """
    convention = repr(sorted(metadata.naming_convention.items(), key=repr))
    return {
        table.name: _table_key(table, dialect, convention, memo if memo is not None else {})
        for table in metadata.tables.values()
        if table.name not in INTERNAL_TABLES
    }
