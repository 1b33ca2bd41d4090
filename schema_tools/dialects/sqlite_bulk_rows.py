"""SQLite's whole catalog in four statements: sqlite_master, and the table-valued pragmas joined to it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

Row = tuple[Any, ...]

# The same filter as SQLAlchemy's get_table_names: LIKE folds ASCII case, so SQLITE_X is internal too.
_INTERNAL = "name LIKE 'sqlite~_%' ESCAPE '~'"
# Base tables whose pragmas are read: virtual tables are left out, as their module may be missing.
_READ = f"m.type = 'table' AND NOT m.{_INTERNAL} AND m.sql LIKE 'CREATE TABLE%'"

_MASTER = (
    f"SELECT 0, type, name, sql, {_INTERNAL} FROM main.sqlite_master "
    f"UNION ALL SELECT 1, type, name, sql, {_INTERNAL} FROM temp.sqlite_master"
)
# The pragma columns in the order `PRAGMA x(...)` returns them: the dialect's code reads them by position.
_COLUMNS = (
    'SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    f"FROM main.sqlite_master AS m JOIN pragma_table_xinfo(m.name, 'main') AS p WHERE {_READ}"
)
_FOREIGN_KEYS = (
    'SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete, f."match" '
    f"FROM main.sqlite_master AS m JOIN pragma_foreign_key_list(m.name, 'main') AS f WHERE {_READ}"
)
_INDEXES = (
    'SELECT m.name, i.seq, i.name, i."unique", i.origin, i.partial, c.seqno, c.cid, c.name '
    "FROM main.sqlite_master AS m JOIN pragma_index_list(m.name, 'main') AS i "
    f"LEFT JOIN pragma_index_info(i.name, 'main') AS c WHERE {_READ}"
)


@dataclass(frozen=True)
class CatalogRows:
    """The rows each per-table PRAGMA of SQLAlchemy's reflection would return, keyed by table (or index) name."""

    tables: list[str]  # every main table Inspector.get_table_names lists, in its order (by name)
    read: frozenset[str]  # those whose pragmas were read (not virtual)
    table_sql: dict[str, str]  # main tables and views: the CREATE text, as sqlite_master holds it
    views: frozenset[str]
    index_sql: dict[str, str | None]  # main indexes (None for an automatic one)
    main_folded: frozenset[str]  # every main object's name, case-folded
    temp_folded: frozenset[str]  # every temp object's name, case-folded (temp shadows a missing main answer)
    columns: dict[str, list[Row]]  # table_xinfo
    foreign_keys: dict[str, list[Row]]  # foreign_key_list
    index_list: dict[str, list[Row]]  # index_list
    index_info: dict[str, list[Row]]  # index_info, keyed by index name


def read_rows(connection: Connection) -> CatalogRows:
    """Four statements whatever the number of tables; SQLite evaluates each pragma once per sqlite_master row."""
    tables: list[str] = []
    table_sql: dict[str, str] = {}
    views: set[str] = set()
    index_sql: dict[str, str | None] = {}
    folded: tuple[set[str], set[str]] = (set(), set())
    for temp, kind, name, sql, internal in connection.exec_driver_sql(_MASTER).all():
        folded[temp].add(name.lower())
        if temp:
            continue
        if kind in ("table", "view"):
            table_sql[name] = sql
        if kind == "table" and not internal:
            tables.append(name)
        elif kind == "view":
            views.add(name)
        elif kind == "index":
            index_sql[name] = sql
    columns = _grouped(connection, _COLUMNS)
    index_list: dict[str, list[Row]] = defaultdict(list)
    index_info: dict[str, list[Row]] = defaultdict(list)
    for table, seq, name, unique, origin, partial, seqno, cid, column in connection.exec_driver_sql(_INDEXES).all():
        rows = index_list[table]
        if not rows or rows[-1][1] != name:
            rows.append((seq, name, unique, origin, partial))
        if seqno is not None:
            index_info[name].append((seqno, cid, column))
    return CatalogRows(
        tables=sorted(tables),
        read=frozenset(columns),
        table_sql=table_sql,
        views=frozenset(views),
        index_sql=index_sql,
        main_folded=frozenset(folded[0]),
        temp_folded=frozenset(folded[1]),
        columns=columns,
        foreign_keys=_grouped(connection, _FOREIGN_KEYS),
        index_list=dict(index_list),
        index_info=dict(index_info),
    )


def _grouped(connection: Connection, statement: str) -> dict[str, list[Row]]:
    """Rows by their first column (the table), each group in the pragma's own order."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in connection.exec_driver_sql(statement).all():
        grouped[row[0]].append(tuple(row[1:]))
    return dict(grouped)
