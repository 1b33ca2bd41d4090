"""PostgreSQL's keys and indexes for the fast cold diff: two lean pg_catalog queries, plain objects only.

SQLAlchemy's get_multi_* readers deparse every index and constraint and cost ~2 s at 10,000 tables. Here only
the plain shapes are read (column lists, names, FK actions); a table with anything else (an expression,
a predicate, INCLUDE, a sort order, an operator class, storage options, an exclusion constraint, a key in
another schema) is reported unreadable, so compare_metadata reflects it as before.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.engine import Connection

_IN_SCHEMA = (
    "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')"
)
# Column numbers are turned into names here, not in the server: a correlated subquery per key costs 15 us a row.
_ATTRIBUTES = (
    f"SELECT a.attrelid, a.attnum, a.attname FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid {_IN_SCHEMA} "
    "AND a.attnum > 0"
)
_KEYS = f"""
SELECT t.oid, t.relname, con.conname, con.contype, con.conkey, con.confrelid, rt.relname, con.confkey,
  con.confupdtype, con.confdeltype, con.confmatchtype,
  con.condeferrable, con.condeferred, {{unusual}}
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
LEFT JOIN pg_class rt ON rt.oid = con.confrelid
LEFT JOIN pg_index x ON x.indexrelid = con.conindid
{_IN_SCHEMA} AND con.contype IN ('p', 'u', 'f', 'x')
"""
# An index is plain when SQLAlchemy would reflect it as columns only, with no dialect option or sorting; the
# per-column sort flags and operator classes are checked here, against the non-default operator classes.
_INDEXES = f"""
SELECT t.oid, t.relname, i.relname, x.indisunique, x.indkey::int2[], c.oid IS NOT NULL,
  x.indisvalid AND x.indexprs IS NULL AND x.indpred IS NULL AND x.indnatts = x.indnkeyatts
  AND i.reloptions IS NULL AND {{plain_nulls}} AND i.relam = (SELECT oid FROM pg_am WHERE amname = 'btree'),
  x.indoption::int2[], x.indclass::oid[]
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
LEFT JOIN pg_constraint c ON c.conrelid = x.indrelid AND c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')
{_IN_SCHEMA} AND NOT x.indisprimary
"""
_SPECIAL_OPERATOR_CLASSES = "SELECT oid FROM pg_opclass WHERE NOT opcdefault"
# pg_constraint's action codes, as pg_get_constraintdef spells them (and SQLAlchemy parses them back).
_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_MATCH = {"f": "FULL", "p": "PARTIAL"}


class KeyCatalog:
    """Primary keys, foreign keys, unique constraints and indexes by table, in the Inspector's dict shapes."""

    def __init__(self) -> None:
        self.primary_keys: dict[str, dict[str, Any]] = {}
        self.foreign_keys: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.unique_constraints: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.indexes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.unreadable: set[str] = set()


def read_keys(connection: Connection) -> KeyCatalog:
    """Four statements for every table of the default schema; see the module docstring for what is unreadable."""
    modern = connection.dialect.server_version_info >= (15,)  # type: ignore[operator]
    names = {(relation, number): name for relation, number, name in connection.exec_driver_sql(_ATTRIBUTES)}
    found = KeyCatalog()
    _read_constraints(connection, modern, names, found)
    _read_indexes(connection, modern, names, found)
    return found


def _read_constraints(
    connection: Connection, modern: bool, names: dict[tuple[int, int], str], found: KeyCatalog
) -> None:
    unusual = (
        "coalesce(x.indnatts <> x.indnkeyatts OR x.indnullsnotdistinct, false) OR con.confdelsetcols IS NOT NULL"
        if modern
        else "coalesce(x.indnatts <> x.indnkeyatts, false)"
    )
    rows = connection.exec_driver_sql(_KEYS.format(unusual=unusual)).all()
    for relation, table, name, kind, keys, referred_relation, *rest in sorted(rows, key=lambda row: row[1:3]):
        columns = [names.get((relation, number)) for number in keys]
        # Names are read for the default schema only: a key into another schema has no referred names here.
        referred = [names.get((referred_relation, number)) for number in rest[1] or ()]
        if None in columns or None in referred:  # a key on a system column, or into another schema
            found.unreadable.add(table)
            continue
        _add_key(found, table, name, kind, columns, rest[0], referred, *rest[2:])


def _read_indexes(connection: Connection, modern: bool, names: dict[tuple[int, int], str], found: KeyCatalog) -> None:
    special = {oid for (oid,) in connection.exec_driver_sql(_SPECIAL_OPERATOR_CLASSES)}
    plain_nulls = "NOT x.indnullsnotdistinct" if modern else "true"
    rows = connection.exec_driver_sql(_INDEXES.format(plain_nulls=plain_nulls)).all()
    for relation, table, name, unique, keys, backs_constraint, plain, sorting, classes in sorted(
        rows, key=lambda row: row[1:3]
    ):
        columns = [names.get((relation, number)) for number in keys]
        if not plain or None in columns or any(sorting) or special.intersection(classes):
            found.unreadable.add(table)
            continue
        index: dict[str, Any] = {"name": name, "unique": unique, "column_names": columns}
        if backs_constraint:
            index["duplicates_constraint"] = name
        found.indexes[table].append(index)


def _add_key(
    found: KeyCatalog, table: str, name: str, kind: str, columns: list[Any], referred_table: str | None,
    referred: list[Any], on_update: str, on_delete: str, match: str,
    deferrable: bool, deferred: bool, unusual: bool,
) -> None:  # fmt: skip
    if unusual or kind == "x" or (kind == "u" and deferrable):
        found.unreadable.add(table)
    elif kind == "p":
        found.primary_keys[table] = {"constrained_columns": list(columns), "name": name}
    elif kind == "u":
        found.unique_constraints[table].append({"name": name, "column_names": list(columns)})
    else:
        options = {
            key: value
            for key, value in (
                ("onupdate", _ACTIONS.get(on_update)), ("ondelete", _ACTIONS.get(on_delete)),
                ("initially", "DEFERRED" if deferred else None), ("deferrable", True if deferrable else None),
                ("match", _MATCH.get(match)),
            )
            if value is not None
        }  # fmt: skip
        found.foreign_keys[table].append({
            "name": name, "constrained_columns": list(columns), "referred_schema": None,
            "referred_table": referred_table, "referred_columns": list(referred), "options": options,
        })  # fmt: skip
