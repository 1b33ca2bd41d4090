"""MariaDB's catalog in 7-9 statements: information_schema rebuilt as SHOW CREATE TABLE, parsed as reflection does."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.engine import Connection

from .bulk_types import BulkCatalog
from .mysql_bulk_ddl import Unreadable, check_line, column_line, foreign_key_line, key_line, options_line
from .mysql_bulk_direct import Rebuilt
from .mysql_bulk_direct import reflected as reflected_directly
from .mysql_bulk_innodb import innodb_foreign_keys
from .mysql_bulk_parser import memo_parser
from .mysql_bulk_read import SIDE_QUERIES, TableRows, read_details, read_tables
from .mysql_catalog import identity_row
from .side_reads import SideReads

# The server versions whose SHOW CREATE TABLE spelling this reader was checked against (tests/test_bulk_mysql.py):
# MariaDB 10.11. Elsewhere (MySQL, other MariaDB series) every table is unreadable, so compared the slow way.
_TESTED_MARIADB = ((10, 11), (10, 12))
# sql_mode flags that leave SHOW CREATE TABLE's spelling alone (ANSI_QUOTES, NO_FIELD_OPTIONS, ORACLE ... change it).
_NEUTRAL_SQL_MODES = frozenset(
    {
        "",
        "STRICT_TRANS_TABLES",
        "STRICT_ALL_TABLES",
        "ERROR_FOR_DIVISION_BY_ZERO",
        "NO_AUTO_CREATE_USER",
        "NO_ENGINE_SUBSTITUTION",
        "NO_ZERO_DATE",
        "NO_ZERO_IN_DATE",
        "ONLY_FULL_GROUP_BY",
        "NO_AUTO_VALUE_ON_ZERO",
        "TRADITIONAL",
    }
)

_SESSION = "SELECT @@SESSION.sql_mode, DATABASE()"


def reflect_all(connection: Connection, skip: Collection[str]) -> BulkCatalog:
    """What Inspector.get_multi_* returns for every base table of the current database, minus `skip`.

    Each table's SHOW CREATE TABLE is rebuilt from information_schema. Its column lines go through the dialect's
    own parser (so the type objects are the ones reflection builds); keys and constraints are built from the rows
    as the dialect's get_* methods build them, or, where a name could trip the parser's regexes, the whole text
    goes through the parser and those methods. No statement per table either way.
    """
    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of small objects, none cyclic: the collector's passes would cost a third
    try:
        rebuilt, unreadable = _rebuild(connection, skip)
        reflected = _reflect(connection, rebuilt)
    finally:
        if collecting:
            gc.enable()
    return _catalog(reflected, frozenset(unreadable | (rebuilt.keys() - reflected.keys())))


def create_table_texts(connection: Connection, skip: Collection[str]) -> tuple[dict[str, str], set[str]]:
    """Each base table's SHOW CREATE TABLE as rebuilt from information_schema, and the tables it cannot rebuild."""
    rebuilt, unreadable = _rebuild(connection, skip)
    return {name: table.text(name) for name, table in rebuilt.items()}, unreadable


def _rebuild(connection: Connection, skip: Collection[str]) -> tuple[dict[str, Rebuilt], set[str]]:
    tables = read_tables(connection, skip)
    if not _spelling_is_known(connection):
        return {}, set(tables)
    side = SideReads(connection, SIDE_QUERIES, identity_row)
    schema = str(connection.dialect.default_schema_name)
    foreign_keys = not innodb_foreign_keys(connection, schema, tables, skip)
    read_details(connection, tables, foreign_keys, side)
    rebuilt: dict[str, Rebuilt] = {}
    unreadable = set()
    lines: dict[tuple[Any, ...], str] = {}
    for name, table in tables.items():
        try:
            rebuilt[name] = _rebuilt(name, table, schema, lines)
        except Unreadable:
            unreadable.add(name)
    return rebuilt, unreadable


def _spelling_is_known(connection: Connection) -> bool:
    """Whether SHOW CREATE TABLE on this server and session spells tables as the rebuilt DDL does, and the
    Inspector would read the same database."""
    dialect = connection.dialect
    version = dialect.server_version_info or ()
    if not getattr(dialect, "is_mariadb", False) or not _TESTED_MARIADB[0] <= version < _TESTED_MARIADB[1]:
        return False
    if dialect.identifier_preparer.initial_quote != "`":
        return False
    sql_mode, database = connection.exec_driver_sql(_SESSION).one()
    if database is None or database != dialect.default_schema_name:
        return False
    return set(str(sql_mode or "").upper().split(",")) <= _NEUTRAL_SQL_MODES


def _rebuilt(name: str, table: TableRows, schema: str, lines: dict[tuple[Any, ...], str]) -> Rebuilt:
    """The table's SHOW CREATE TABLE as the server would print it, as far as SQLAlchemy's parser reads it.

    `lines` remembers the column lines already written: most tables repeat a few kinds of column."""
    if table.collation is None or not table.columns or table.broken:
        raise Unreadable(name)  # the server could not open the table, or its rows came back cut short
    columns = []
    for _, column in sorted(table.columns, key=_first):
        checks = table.column_checks.get(column.name, [])
        if len(checks) > 1:
            raise Unreadable(column.name)
        key = (column, table.collation, checks[0] if checks else None)
        line = lines.get(key)
        if line is None:
            line = lines[key] = column_line(*key)
        columns.append(line)
    keys = [_in_order(parts) for _, parts in sorted(table.keys.items(), key=lambda item: item[0] != "PRIMARY")]
    # InnoDB keeps a table's foreign keys in a set ordered by strcmp of their names.
    foreign_keys = [_in_order(table.foreign_keys[fk]) for fk in sorted(table.foreign_keys, key=str.encode)]
    others = [key_line(parts) for parts in keys]
    others.extend(foreign_key_line(rows, schema) for rows in foreign_keys)
    others.extend(check_line(check, clause) for check, clause in table.checks)
    return Rebuilt(columns, others, options_line(table.comment), keys, foreign_keys, table.checks)


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def _in_order(parts: Iterable[tuple[int, Any]]) -> list[Any]:
    return [part for _, part in sorted(parts, key=_first)]


_METHODS = {
    "columns": "get_columns",
    "primary_keys": "get_pk_constraint",
    "foreign_keys": "get_foreign_keys",
    "indexes": "get_indexes",
    "unique_constraints": "get_unique_constraints",
    "check_constraints": "get_check_constraints",
    "comments": "get_table_comment",
}


class _ParsedCache(dict[Any, Any]):
    """An info_cache that answers the dialect's SHOW CREATE TABLE step (`_setup_parser`) with a parse made here."""

    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, tuple) and key and key[0] == "_setup_parser":
            return self.state
        return super().get(key, default)


def _reflect(connection: Connection, rebuilt: dict[str, Rebuilt]) -> dict[str, dict[str, Any]]:
    """Each table's seven results; a table whose parse warns (an unknown type, a line the parser skips) is left
    out, so the slow way warns as before."""
    dialect: Any = connection.dialect
    charset, schema = dialect._connection_charset, str(dialect.default_schema_name)
    reflected: dict[str, dict[str, Any]] = {}
    # The undecorated methods: reflection.cache would key and store every call in the throwaway cache.
    methods = [(key, _undecorated(type(dialect), name)) for key, name in _METHODS.items()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parser = memo_parser(dialect, caught)
        for name, table in rebuilt.items():
            seen = len(caught)
            if table.is_plain():
                result = reflected_directly(parser, dialect.name, schema, table)
            else:
                cache = _ParsedCache(parser.parse(table.text(name), charset))
                result = {key: method(dialect, connection, name, None, info_cache=cache) for key, method in methods}
            if len(caught) == seen:
                reflected[name] = result
    return reflected


def _undecorated(cls: type, name: str) -> Any:
    method = getattr(cls, name)
    return getattr(method, "__wrapped__", method)


def _catalog(reflected: dict[str, dict[str, Any]], unreadable: frozenset[str]) -> BulkCatalog:
    def part(key: str) -> dict[str, Any]:
        return {name: result[key] for name, result in reflected.items()}

    return BulkCatalog(
        columns=part("columns"),
        primary_keys=part("primary_keys"),
        foreign_keys=part("foreign_keys"),
        indexes=part("indexes"),
        unique_constraints=part("unique_constraints"),
        check_constraints=part("check_constraints"),
        comments=part("comments"),
        unreadable=unreadable,
    )
