"""information_schema's rows for every table of the current MariaDB database, in one statement per catalog table."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from .mysql_bulk_ddl import ColumnRow, ForeignKeyRow, KeyPart
from .side_reads import SideReads

# Rows come back aggregated, one JSON array per table: PyMySQL decodes a few long strings much faster than many
# short fields. The group is the table name's bytes (information_schema compares names case-insensitively), and
# the row count guards against GROUP_CONCAT's length limit cutting an array short.
_PER_TABLE = (
    "SELECT MIN(TABLE_NAME), COUNT(*), JSON_ARRAYAGG(JSON_ARRAY({fields})) FROM information_schema.{view} "
    "WHERE {where} GROUP BY CAST(TABLE_NAME AS BINARY)"
)
_TABLES = (
    "SELECT TABLE_NAME, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
)
_COLUMNS = _PER_TABLE.format(
    fields="ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
    "COLUMN_COMMENT, CHARACTER_SET_NAME, COLLATION_NAME, GENERATION_EXPRESSION",
    view="COLUMNS",
    where="TABLE_SCHEMA = DATABASE()",
)
_STATISTICS = _PER_TABLE.format(
    fields="SEQ_IN_INDEX, INDEX_NAME, COLUMN_NAME, NON_UNIQUE, SUB_PART, INDEX_TYPE, COLLATION, INDEX_COMMENT, IGNORED",
    view="STATISTICS",
    where="TABLE_SCHEMA = DATABASE()",
)
_KEY_COLUMNS = _PER_TABLE.format(
    fields="ORDINAL_POSITION, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, "
    "REFERENCED_COLUMN_NAME",
    view="KEY_COLUMN_USAGE",
    where="TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL",
)
_RULES = _PER_TABLE.format(
    fields="CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE",
    view="REFERENTIAL_CONSTRAINTS",
    where="CONSTRAINT_SCHEMA = DATABASE()",
)
_CHECKS = (
    "SELECT TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = DATABASE()"
)
QUERIES = (_TABLES, _COLUMNS, _STATISTICS, _KEY_COLUMNS, _RULES, _CHECKS)
# The statements a second connection answers while the first reads the columns (together about half the server's
# time at 10,000 tables: STATISTICS 0.44 s, CHECK_CONSTRAINTS 0.19 s).
SIDE_QUERIES = (_STATISTICS, _CHECKS)


@dataclass
class TableRows:
    """What information_schema says about one table, gathered before its DDL is rebuilt."""

    collation: str | None
    comment: str
    columns: list[tuple[int, ColumnRow]] = field(default_factory=list)
    keys: dict[str, list[tuple[int, KeyPart]]] = field(default_factory=dict)
    foreign_keys: dict[str, list[tuple[int, ForeignKeyRow]]] = field(default_factory=dict)
    checks: list[tuple[str, str]] = field(default_factory=list)
    column_checks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # A row set that came back cut short or undecodable: the table is read the slow way.
    broken: bool = False


def read_tables(connection: Connection, skip: Collection[str]) -> dict[str, TableRows]:
    """The base tables of the current database but `skip`, with their collation and comment."""
    tables = {}
    for name, collation, comment in connection.exec_driver_sql(_TABLES):
        if name not in skip:
            tables[name] = TableRows(collation, comment or "")
    return tables


def read_details(
    connection: Connection, tables: dict[str, TableRows], foreign_keys: bool, side: SideReads | None = None
) -> None:
    """Columns, keys, CHECKs and (`foreign_keys`) foreign keys of `tables`, in a fixed number of statements
    (SIDE_QUERIES' rows from `side` when given)."""
    for _, table, items in _per_table(connection, _COLUMNS, tables):
        for position, name, *rest in items:
            column_type, data_type, nullable, default, extra, comment, charset, collation, generation = rest
            column = ColumnRow(
                name, column_type, data_type, nullable == "YES", default, extra, comment, charset, collation, generation
            )
            table.columns.append((position, column))
    for _, table, items in _per_table(connection, _STATISTICS, tables, side):
        for seq, index, column, non_unique, sub_part, index_type, order, comment, ignored in items:
            part = KeyPart(
                index, column, bool(non_unique), sub_part, index_type, order == "D", comment, ignored == "YES"
            )
            table.keys.setdefault(index, []).append((seq, part))
    if foreign_keys:
        _read_foreign_keys(connection, tables)
    for table_name, name, level, clause in _rows(connection, _CHECKS, side):
        rows = tables.get(table_name)
        if rows is None:
            continue
        if level == "Column":
            rows.column_checks[name].append(clause)
        else:
            rows.checks.append((name, clause))


def _read_foreign_keys(connection: Connection, tables: dict[str, TableRows]) -> None:
    rules = {
        (table_name, name): (update, delete)
        for table_name, _, items in _per_table(connection, _RULES, tables)
        for name, update, delete in items
    }
    for table_name, table, items in _per_table(connection, _KEY_COLUMNS, tables):
        for position, name, column, referred_schema, referred_table, referred_column in items:
            update, delete = rules.get((table_name, name), ("?", "?"))
            fk = ForeignKeyRow(name, column, referred_schema, referred_table, referred_column, update, delete)
            table.foreign_keys.setdefault(name, []).append((position, fk))


def _rows(connection: Connection, sql: str, side: SideReads | None) -> Iterable[Any]:
    return side.rows(sql) if side is not None else connection.exec_driver_sql(sql)


def _per_table(
    connection: Connection, sql: str, tables: dict[str, TableRows], side: SideReads | None = None
) -> Iterator[tuple[str, TableRows, list[Any]]]:
    """(name, rows, decoded items) per table of `tables` that the aggregated query returned whole."""
    for name, count, text in _rows(connection, sql, side):
        rows = tables.get(name)
        if rows is None:
            continue
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or len(items) != count:
            rows.broken = True
            continue
        yield name, rows, items
