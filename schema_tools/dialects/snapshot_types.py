"""A column type as snapshot text (its DDL on the dialect) and back, through each dialect's own reflection parser."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from ..errors import SchemaToolsError
from ..sql_literals import outside_literals

# PostgreSQL's format_type() spellings of what SQLAlchemy compiles as VARCHAR and CHAR (the parser reads those).
_PG_SPELLINGS = (
    (re.compile(r"^VARCHAR\b", re.IGNORECASE), "character varying"),
    (re.compile(r"^CHAR\b", re.IGNORECASE), "character"),
)


class SnapshotTypeError(SchemaToolsError):
    """A type in a snapshot that the dialect cannot read back (a hand-edited or foreign snapshot)."""


def type_text(type_: TypeEngine[Any], dialect: Dialect) -> str:
    """The column type as the dialect writes it in DDL: what a snapshot stores."""
    return str(type_.compile(dialect=dialect))


def _sqlite(text: str, dialect: Any, enums: Mapping[str, Sequence[str]]) -> TypeEngine[Any]:
    """SQLite reads a declared type by its affinity rules, as its reflection does."""
    found: TypeEngine[Any] = dialect._resolve_type_affinity(text)
    return found


def _postgresql(text: str, dialect: Any, enums: Mapping[str, Sequence[str]]) -> TypeEngine[Any]:
    """PostgreSQL's reflection parses format_type() text; named enums come from the snapshot's own list."""
    from sqlalchemy.dialects.postgresql.base import _NamedTypeLoader

    loader = _NamedTypeLoader(dialect, None, {})
    # The loader would query the catalog for these: the snapshot holds them instead (no connection needed).
    loader.__dict__["enums"] = {
        (name,): {"name": name, "schema": None, "visible": True, "labels": list(labels)}
        for name, labels in enums.items()
    }
    loader.__dict__["domains"] = {}
    unquoted = text[1:-1].replace('""', '"') if text.startswith('"') and text.endswith('"') else text
    if unquoted in enums:
        spelled = text
    else:
        spelled = text.lower()
        for pattern, spelling in _PG_SPELLINGS:
            spelled = pattern.sub(spelling, spelled)
    found: TypeEngine[Any] = dialect._reflect_type(spelled, loader, f"snapshot type {text}", None)
    return found


def _mysql(text: str, dialect: Any, enums: Mapping[str, Sequence[str]]) -> TypeEngine[Any]:
    """MySQL/MariaDB's reflection parses SHOW CREATE TABLE column lines: the type is given as one such line."""
    from sqlalchemy.dialects.mysql.reflection import MySQLTableDefinitionParser, ReflectedState

    spelled = outside_literals(text, lambda part: re.sub(r",\s+", ",", part.lower()))
    parser = MySQLTableDefinitionParser(dialect, dialect.identifier_preparer)
    state = ReflectedState()
    parser._parse_column(f"  `c` {spelled},", state)
    found: TypeEngine[Any] = state.columns[0]["type"]
    return found


_PARSERS: dict[str, Callable[[str, Any, Mapping[str, Sequence[str]]], TypeEngine[Any]]] = {
    "sqlite": _sqlite,
    "postgresql": _postgresql,
    "mysql": _mysql,
    "mariadb": _mysql,
}


def parse_type(text: str, dialect: Dialect, enums: Mapping[str, Sequence[str]]) -> TypeEngine[Any]:
    """The type reflection would give for `text` on `dialect` (NullType where the dialect knows no such type)."""
    parse = _PARSERS.get(dialect.name)
    if parse is None:
        raise SnapshotTypeError(
            f"snapshots of {dialect.name} databases are not supported: use SQLite, PostgreSQL or MySQL"
        )
    try:
        return parse(text, dialect, enums)
    except (TypeError, ValueError, IndexError, KeyError, sa.exc.SQLAlchemyError):
        raise SnapshotTypeError(f"the snapshot's type {text!r} is not a {dialect.name} type") from None
