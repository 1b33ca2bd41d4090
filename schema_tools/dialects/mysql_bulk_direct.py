"""The seven reflection results built straight from information_schema's rows, as MySQLDialect.get_* builds them.

Only for tables whose key and constraint lines hold nothing SQLAlchemy's regexes could read differently (plain
identifiers, no IGNORED key, no line its parse() would take for a PARTITION clause). The column lines, which carry
the types, still go through the dialect's own parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.mysql.reflection import MySQLTableDefinitionParser, ReflectedState

from .mysql_bulk_ddl import ForeignKeyRow, KeyPart, quote

# Identifiers and comments every regex of the parser reads as they are: no quotes, brackets, commas, dots, escapes.
_PLAIN = re.compile(r"[^`'\"(),.\\\n\r]*")
_ACTIONS = ("CASCADE", "SET NULL")  # what get_foreign_keys keeps; InnoDB prints NO ACTION, RESTRICT not at all


@dataclass(frozen=True)
class Rebuilt:
    """A table's SHOW CREATE TABLE as rebuilt, in its parts, with the rows the parts came from."""

    columns: list[str]
    others: list[str]
    options: str
    keys: list[list[KeyPart]]
    foreign_keys: list[list[ForeignKeyRow]]
    checks: list[tuple[str, str]]

    def text(self, name: str) -> str:
        """The whole statement, as SHOW CREATE TABLE prints it (minus the table options the parser does not keep)."""
        return f"CREATE TABLE {quote(name)} (\n" + ",\n".join(self.columns + self.others) + "\n" + self.options

    def is_plain(self) -> bool:
        """Whether the key, foreign key and CHECK lines parse the way `reflected` assumes."""
        if any("\n" in line for line in self.columns) or any("PARTITION" in line for line in self.others):
            return False
        names = [name for name, _ in self.checks]
        for parts in self.keys:
            if parts[0].ignored:
                return False
            names.extend([parts[0].key, parts[0].comment, *(part.column or "`" for part in parts)])
        for fk in self.foreign_keys:
            names.extend([fk[0].name, fk[0].referred_schema, fk[0].referred_table])
            names.extend(name for row in fk for name in (row.column, row.referred_column))
        return all(_PLAIN.fullmatch(name) for name in names)


def reflected(parser: MySQLTableDefinitionParser, dialect: str, schema: str, table: Rebuilt) -> dict[str, Any]:
    """get_columns, get_pk_constraint ... get_table_comment of MySQLDialect, for a table that `is_plain()`."""
    state = ReflectedState()
    for line in table.columns:
        parser._parse_column(line, state)
    parser._parse_table_options(table.options, state)
    comment = state.table_options.get(f"{dialect}_comment")
    primary_key: dict[str, Any] = {"name": None, "constrained_columns": []}
    indexes, uniques = [], []
    for parts in table.keys:
        first, columns = parts[0], [part.column for part in parts]
        if first.key == "PRIMARY" and not first.non_unique:
            primary_key = {"constrained_columns": columns, "name": None}
            continue
        index, options = _index(first, columns, parts, dialect)
        if options:
            index["dialect_options"] = options
        indexes.append(index)
        if index["unique"]:
            uniques.append({"name": first.key, "column_names": columns, "duplicates_index": first.key})
    return {
        "columns": state.columns,
        "primary_keys": primary_key,
        "foreign_keys": [_foreign_key(rows, schema) for rows in table.foreign_keys],
        "indexes": sorted(indexes, key=_by_name),
        "unique_constraints": sorted(uniques, key=_by_name),
        "check_constraints": sorted(({"name": name, "sqltext": text} for name, text in table.checks), key=_by_name),
        "comments": {"text": comment},
    }


def _index(
    first: KeyPart, columns: list[Any], parts: Sequence[KeyPart], dialect: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    options: dict[str, Any] = {}
    unique = not first.non_unique
    if first.index_type in ("SPATIAL", "RTREE"):
        options[f"{dialect}_prefix"] = "SPATIAL"
        unique = False
    lengths = {part.column: part.sub_part for part in parts if part.sub_part is not None}
    if lengths:
        options[f"{dialect}_length"] = lengths
    return {"name": first.key, "column_names": columns, "unique": unique}, options


def _foreign_key(rows: Sequence[ForeignKeyRow], schema: str) -> dict[str, Any]:
    first = rows[0]
    options = {}
    for key, action in (("onupdate", first.update_rule), ("ondelete", first.delete_rule)):
        if action in _ACTIONS:
            options[key] = action
    return {
        "name": first.name,
        "constrained_columns": [row.column for row in rows],
        "referred_schema": None if first.referred_schema == schema else first.referred_schema,
        "referred_table": first.referred_table,
        "referred_columns": [row.referred_column for row in rows],
        "options": options,
    }


def _by_name(item: dict[str, Any]) -> str:
    return str(item["name"] or "~")
