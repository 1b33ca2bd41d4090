"""SQLite's bulk catalog: SQLAlchemy's own per-table reflection, fed from four catalog statements."""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Collection
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.engine.reflection import ReflectionDefaults
from sqlalchemy.types import TypeEngine

from ..errors import SchemaToolsError
from .bulk_types import BulkCatalog
from .sqlite_bulk_rows import CatalogRows, Row, read_rows
from .sqlite_bulk_unique import unique_constraints

# The dialect methods the reader replaces; without them (another SQLAlchemy) every table is compared in full.
_HOOKS = ("_get_table_sql", "_get_table_pragma")
# pragma_table_xinfo exists from 3.26; the dialect reads table_xinfo from 3.31 on.
_OLDEST = (3, 26)
# get_indexes' own pattern for a partial index's predicate (it reads the index's DDL with one query per index).
_PARTIAL_PREDICATE = re.compile(r"\)\s+where\s+(.+)", re.IGNORECASE)


class _NotPreread(SchemaToolsError):  # noqa: N818 - internal signal, never leaves this module
    """A reflection step asked for something the four statements did not read: compare that table in full."""


class _Preread:
    """Answers the dialect's per-table queries (`_get_table_sql`, `_get_table_pragma`) from the rows read in bulk."""

    def __init__(self, rows: CatalogRows, dialect: Dialect) -> None:
        self.rows = rows
        self.is_sys_table = getattr(dialect, "_is_sys_table", lambda name: False)

    def served(self, pragma: str, table_name: str) -> list[Row]:
        """One table's rows of one pragma, shaped as that PRAGMA statement returns them."""
        if pragma == "table_xinfo":
            return self.rows.columns[table_name]
        if pragma == "table_info":  # has_table's question: the columns table_info lists (no hidden ones)
            return [row[:6] for row in self.rows.columns[table_name] if row[6] == 0]
        if pragma == "foreign_key_list":
            return self.rows.foreign_keys.get(table_name, [])
        if pragma == "index_list":  # partial=0: the predicate is added afterwards from the index DDL read in bulk
            return [(*row[:4], 0) for row in self.rows.index_list.get(table_name, [])]
        raise _NotPreread(table_name)

    def table_sql(self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any) -> str | None:
        """The CREATE text of a main table; a view's or a temp table's is not served, as its columns were not read."""
        if schema is not None or table_name in self.rows.views or table_name.lower() in self.rows.temp_folded:
            raise _NotPreread(table_name)
        found = self.rows.table_sql.get(table_name)
        if found is not None or self.is_sys_table(table_name):
            return found
        raise exc.NoSuchTableError(table_name)

    def pragma(self, connection: Connection, pragma: str, table_name: str, schema: str | None = None) -> list[Row]:
        """`PRAGMA main.x(name)`, then `PRAGMA temp.x(name)` when main gave nothing, as the dialect runs them."""
        if schema is not None:
            raise _NotPreread(table_name)
        if pragma == "index_info":
            if table_name not in self.rows.index_info:
                raise _NotPreread(table_name)
            return self.rows.index_info[table_name]
        if table_name not in self.rows.read:
            if table_name.lower() in self.rows.main_folded or table_name.lower() in self.rows.temp_folded:
                raise _NotPreread(table_name)
            return []  # no such table in either schema: SQLite's pragma returns no rows
        found = self.served(pragma, table_name)
        if not found and table_name.lower() in self.rows.temp_folded:
            raise _NotPreread(table_name)
        return found


def reflect_all(connection: Connection, skip: Collection[str]) -> BulkCatalog:
    """Every main table as Inspector.get_multi_* gives it, in four statements: the parsing is SQLAlchemy's own."""
    dialect = connection.dialect
    version = dialect.server_version_info or (0,)
    if not all(hasattr(dialect, hook) for hook in _HOOKS) or version < _OLDEST:
        names = connection.exec_driver_sql(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
        )
        return _catalog({}, frozenset(names.scalars()) - set(skip))
    rows = read_rows(connection)
    preread = _Preread(rows, dialect)
    replay = copy.copy(dialect)
    replay._get_table_sql = preread.table_sql  # type: ignore[attr-defined]
    replay._get_table_pragma = preread.pragma  # type: ignore[attr-defined]
    info_cache: dict[Any, Any] = {}
    read: dict[str, tuple[Any, ...]] = {}
    unreadable = {name for name in rows.tables if name not in rows.read and name not in skip}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in rows.tables:
            if name in skip or name in unreadable:
                continue
            before = len(caught)
            try:
                found = _reflect_table(replay, connection, rows, name, info_cache)
            except Exception:  # noqa: BLE001 - whatever trips the replay, the full comparison meets it itself
                found = None
            if found is None or len(caught) > before:
                unreadable.add(name)
            else:
                read[name] = found
    return _catalog(read, frozenset(unreadable))


def _reflect_table(
    replay: Any, connection: Connection, rows: CatalogRows, name: str, info_cache: dict[Any, Any]
) -> tuple[Any, ...] | None:
    """The six dialect calls Inspector.get_multi_* make for one table, with the same arguments and shared cache."""
    kw = {"schema": None, "info_cache": info_cache}
    columns = replay.get_columns(connection, name, **kw)
    for column in columns:  # Inspector._instantiate_types
        if not isinstance(column["type"], TypeEngine):
            column["type"] = column["type"]()
    indexes = replay.get_indexes(connection, name, **kw)
    if not _add_predicates(indexes, rows, name):
        return None
    return (
        columns,
        replay.get_pk_constraint(connection, name, **kw),
        replay.get_foreign_keys(connection, name, **kw),
        indexes,
        unique_constraints(replay, connection, name, rows.table_sql[name], info_cache),
        replay.get_check_constraints(connection, name, **kw),
    )


def _add_predicates(indexes: list[dict[str, Any]], rows: CatalogRows, table: str) -> bool:
    """get_indexes' `sqlite_where` for partial indexes, from the DDL already read; False where it would warn."""
    partial = {row[1] for row in rows.index_list.get(table, []) if row[4]}
    for index in indexes:
        if index["name"] not in partial:
            continue
        match = _PARTIAL_PREDICATE.search(rows.index_sql.get(index["name"]) or "")
        if match is None:
            return False
        index["dialect_options"]["sqlite_where"] = text(match.group(1))
    return True


def _catalog(read: dict[str, tuple[Any, ...]], unreadable: frozenset[str]) -> BulkCatalog:
    """SQLite stores no comments: Inspector.get_multi_table_comment raises, and reflection uses the default."""
    return BulkCatalog(
        columns={name: found[0] for name, found in read.items()},
        primary_keys={name: found[1] for name, found in read.items()},
        foreign_keys={name: found[2] for name, found in read.items()},
        indexes={name: found[3] for name, found in read.items()},
        unique_constraints={name: found[4] for name, found in read.items()},
        check_constraints={name: found[5] for name, found in read.items()},
        comments={name: dict(ReflectionDefaults.table_comment()) for name in read},
        unreadable=unreadable,
    )
