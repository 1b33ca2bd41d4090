"""MariaDB's SHOW CREATE TABLE text, rebuilt line by line from information_schema rows (as sql_show.cc prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..errors import SchemaToolsError


class Unreadable(SchemaToolsError):
    """A table's DDL holds something information_schema does not show (the caller reflects it the slow way)."""


class ColumnRow(NamedTuple):
    """One row of information_schema.COLUMNS."""

    name: str
    column_type: str
    data_type: str
    nullable: bool
    default: str | None
    extra: str
    comment: str
    charset: str | None
    collation: str | None
    generation: str | None


class KeyPart(NamedTuple):
    """One row of information_schema.STATISTICS."""

    key: str
    column: str | None
    non_unique: bool
    sub_part: int | None
    index_type: str
    descending: bool
    comment: str
    ignored: bool


class ForeignKeyRow(NamedTuple):
    """One column of a foreign key: KEY_COLUMN_USAGE joined to REFERENTIAL_CONSTRAINTS."""

    name: str
    column: str
    referred_schema: str
    referred_table: str
    referred_column: str
    update_rule: str
    delete_rule: str


def quote(name: str) -> str:
    """An identifier as SHOW CREATE TABLE writes it (backticks doubled inside)."""
    return "`" + name.replace("`", "``") + "`"


_ESCAPES = {"\0": "\\0", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "''"}


def literal(text: str) -> str:
    """A comment as the server's append_unescaped() writes it: only NUL, LF, CR, backslash and quote escaped."""
    if any(char in text for char in _ESCAPES):
        text = "".join(_ESCAPES.get(char, char) for char in text)
    return "'" + text + "'"


# EXTRA values whose spelling in SHOW CREATE TABLE is known; anything else (system versioning, an invisible
# generated column ...) makes the table unreadable.
_PLAIN_EXTRA = frozenset({"", "auto_increment", "INVISIBLE", "VIRTUAL GENERATED", "STORED GENERATED"})


def column_line(column: ColumnRow, table_collation: str | None, check: str | None) -> str:
    """`name` type [CHARACTER SET .. COLLATE ..] [NOT NULL|NULL] [INVISIBLE] [DEFAULT ..] [ON UPDATE ..] ..."""
    extra = column.extra
    if extra not in _PLAIN_EXTRA and not extra.startswith("on update "):
        raise Unreadable(extra)
    if _lossy(column.default) or _lossy(column.generation) or _lossy(check):
        raise Unreadable(column.name)
    parts = ["  ", quote(column.name), " ", column.column_type]
    if column.collation is not None and column.collation != table_collation:
        parts.append(f" CHARACTER SET {column.charset} COLLATE {column.collation}")
    if extra.endswith(" GENERATED"):
        parts.append(f" GENERATED ALWAYS AS ({column.generation}) {extra.split()[0]}")
    else:
        parts.extend(_stored_value(column))
    if extra == "auto_increment":
        parts.append(" AUTO_INCREMENT")
    if column.comment:
        parts.append(" COMMENT " + literal(column.comment))
    if check is not None:
        parts.append(f" CHECK ({check})")
    return "".join(parts)


def _stored_value(column: ColumnRow) -> list[str]:
    """[NOT NULL | NULL (a nullable TIMESTAMP)] [INVISIBLE] [DEFAULT ..] [ON UPDATE ..] of a column not generated."""
    parts = []
    if not column.nullable:
        parts.append(" NOT NULL")
    elif column.data_type == "timestamp":
        parts.append(" NULL")
    if column.extra == "INVISIBLE":
        parts.append(" INVISIBLE")
    if column.default is not None:
        parts.append(" DEFAULT " + column.default)
    if column.extra.startswith("on update "):
        parts.append(" ON UPDATE " + column.extra[len("on update ") :])
    return parts


def _lossy(expression: str | None) -> bool:
    """information_schema's utf8mb3 columns print a 4-byte character of an expression as '?'; the DDL does not."""
    return expression is not None and "?" in expression


def key_line(parts: Sequence[KeyPart]) -> str:
    """PRIMARY KEY (..), UNIQUE KEY `name` (..), KEY `name` (`col`(prefix) DESC, ..) COMMENT '..' IGNORED."""
    first = parts[0]
    if first.index_type not in ("BTREE", "HASH", "SPATIAL", "RTREE"):
        raise Unreadable(first.index_type)  # FULLTEXT: its WITH PARSER is not in information_schema
    columns = []
    for part in parts:
        if part.column is None:
            raise Unreadable(first.key)  # an expression key part
        prefix = "" if part.sub_part is None else f"({part.sub_part})"
        columns.append(quote(part.column) + prefix + (" DESC" if part.descending else ""))
    if first.key == "PRIMARY" and not first.non_unique:
        head = "  PRIMARY KEY"
    elif first.index_type in ("SPATIAL", "RTREE"):
        head = "  SPATIAL KEY " + quote(first.key)
    else:
        head = ("  KEY " if first.non_unique else "  UNIQUE KEY ") + quote(first.key)
    line = f"{head} ({','.join(columns)})"
    if first.comment:
        if _lossy(first.comment):
            raise Unreadable(first.key)
        line += " COMMENT " + literal(first.comment)
    if first.ignored:
        line += " IGNORED"
    return line


# InnoDB writes only the actions it stores; RESTRICT is its default and prints nothing.
_ACTIONS = frozenset({"CASCADE", "SET NULL", "NO ACTION"})


def foreign_key_line(columns: Sequence[ForeignKeyRow], schema: str) -> str:
    """CONSTRAINT `name` FOREIGN KEY (`a`, `b`) REFERENCES [`schema`.]`table` (`x`, `y`) ON DELETE .. ON UPDATE .."""
    first = columns[0]
    referred = quote(first.referred_table)
    if first.referred_schema != schema:
        referred = quote(first.referred_schema) + "." + referred
    local = ", ".join(quote(column.column) for column in columns)
    remote = ", ".join(quote(column.referred_column) for column in columns)
    line = f"  CONSTRAINT {quote(first.name)} FOREIGN KEY ({local}) REFERENCES {referred} ({remote})"
    for rule, action in (("ON DELETE", first.delete_rule), ("ON UPDATE", first.update_rule)):
        if action in _ACTIONS:
            line += f" {rule} {action}"
        elif action != "RESTRICT":
            raise Unreadable(action)
    return line


def check_line(name: str, clause: str) -> str:
    """CONSTRAINT `name` CHECK (clause), a table-level CHECK."""
    if _lossy(clause):
        raise Unreadable(name)
    return f"  CONSTRAINT {quote(name)} CHECK ({clause})"


def options_line(comment: str) -> str:
    """The table options line; of its options the parser keeps only COMMENT for what reflection returns."""
    return ") ENGINE=InnoDB" + (" COMMENT=" + literal(comment) if comment else "")
