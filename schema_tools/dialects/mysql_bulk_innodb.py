"""Foreign keys from InnoDB's own dictionary views: two cheap reads instead of two passes that open every table."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from .mysql_bulk_ddl import ForeignKeyRow
from .mysql_bulk_read import TableRows

# INNODB_SYS_* need the PROCESS privilege. Rows come in 64 JSON groups (GROUP_CONCAT's length limit), counted.
_FOREIGN = (
    "SELECT COUNT(*), JSON_ARRAYAGG(JSON_ARRAY(ID, FOR_NAME, REF_NAME, N_COLS, TYPE)) "
    "FROM information_schema.INNODB_SYS_FOREIGN WHERE FOR_NAME LIKE CONCAT(DATABASE(), '/%%') GROUP BY CRC32(ID) MOD 64"
)
_COLUMNS = (
    "SELECT COUNT(*), JSON_ARRAYAGG(JSON_ARRAY(ID, POS, FOR_COL_NAME, REF_COL_NAME)) "
    "FROM information_schema.INNODB_SYS_FOREIGN_COLS WHERE ID LIKE CONCAT(DATABASE(), '/%%') GROUP BY CRC32(ID) MOD 64"
)
# Names InnoDB's file-name encoding ("db/My@0020Table") leaves as they are.
_PLAIN = re.compile(r"[0-9A-Za-z_]+")
# dict0mem.h: DICT_FOREIGN_ON_DELETE_CASCADE = 1, _SET_NULL = 2, ON_UPDATE_CASCADE = 4, _SET_NULL = 8,
# ON_DELETE_NO_ACTION = 16, ON_UPDATE_NO_ACTION = 32; none of a pair is RESTRICT.
_DELETE = {0: "RESTRICT", 1: "CASCADE", 2: "SET NULL", 16: "NO ACTION"}
_UPDATE = {0: "RESTRICT", 4: "CASCADE", 8: "SET NULL", 32: "NO ACTION"}


def innodb_foreign_keys(
    connection: Connection, schema: str, tables: dict[str, TableRows], skip: Collection[str]
) -> bool:
    """Fill `tables`' foreign keys from INNODB_SYS_FOREIGN(_COLS); False (and nothing filled) when that is not
    sure to give what information_schema would: no privilege, a name in InnoDB's file-name encoding, a cut row."""
    if not _PLAIN.fullmatch(schema):
        return False
    try:
        foreign = _groups(connection, _FOREIGN)
        columns = _groups(connection, _COLUMNS)
    except exc.DBAPIError:
        return False
    if foreign is None or columns is None:
        return False
    columns_of: dict[str, list[list[Any]]] = defaultdict(list)
    for fk_id, position, column, referred_column in columns:
        columns_of[fk_id].append([position, column, referred_column])
    found: dict[str, dict[str, list[tuple[int, ForeignKeyRow]]]] = defaultdict(dict)
    for fk_id, for_name, ref_name, count, flags in foreign:
        row = _foreign_key(schema, fk_id, for_name, ref_name, flags, tables, skip)
        if row is None or len(columns_of.get(fk_id, ())) != count:
            return False
        table, fk = row
        found[table][fk.name] = [
            (position, fk._replace(column=column, referred_column=referred))
            for position, column, referred in columns_of[fk_id]
        ]
    for table, foreign_keys in found.items():
        if table in tables:
            tables[table].foreign_keys = foreign_keys
    return True


def _groups(connection: Connection, sql: str) -> list[list[Any]] | None:
    items: list[list[Any]] = []
    for count, text in connection.exec_driver_sql(sql):
        try:
            group = json.loads(text)
        except ValueError:
            return None
        if not isinstance(group, list) or len(group) != count:
            return None
        items.extend(group)
    return items


def _foreign_key(
    schema: str,
    fk_id: str,
    for_name: str,
    ref_name: str,
    flags: int,
    tables: dict[str, TableRows],
    skip: Collection[str],
) -> tuple[str, ForeignKeyRow] | None:
    """The table a foreign key belongs to and its row (columns left blank), or None where unsure."""
    own_schema, _, table = for_name.partition("/")
    referred_schema, _, referred_table = ref_name.partition("/")
    name = fk_id.partition("/")[2]
    names = (own_schema, table, referred_schema, referred_table)
    if own_schema != schema or not all(_PLAIN.fullmatch(part) for part in names) or not name:
        return None
    if table not in tables and table not in skip:
        return None  # another spelling of a table name (lower_case_table_names = 2)
    delete, update = _DELETE.get(flags & 19), _UPDATE.get(flags & 44)
    if delete is None or update is None or flags & ~63:
        return None
    return table, ForeignKeyRow(name, "", referred_schema, referred_table, "", update, delete)
