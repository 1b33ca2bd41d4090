"""get_unique_constraints without its costly second pattern when the first has already named every unique index."""

from __future__ import annotations

import re
import types
from typing import Any

from sqlalchemy.engine import Connection

# get_unique_constraints' first pattern (table constraints), verbatim. Its second pattern (inline `col TYPE UNIQUE`)
# costs about ten times more: it is run only while an automatic unique index is still unaccounted for.
_TABLE_UNIQUE = r'(?:CONSTRAINT\s+(?:"(.+?)"|(\w+))\s+)?UNIQUE\s*\((.+?)\)'
_AUTO = "sqlite_autoindex"


def unique_constraints(replay: Any, connection: Connection, table: str, sql: str, info_cache: dict[Any, Any]) -> Any:
    """What the dialect's get_unique_constraints returns, exactly, most often without running its inline pattern.

    It keeps the parsed constraints whose columns match an automatic index, first match first, table constraints
    before inline ones; once every automatic index is matched, the inline matches cannot add anything.
    """
    kw = {"schema": None, "info_cache": info_cache}
    if not _verified(type(replay)):
        return replay.get_unique_constraints(connection, table, **kw)
    indexes = replay.get_indexes(connection, table, include_auto_indexes=True, **kw)
    waiting = {tuple(index["column_names"]) for index in indexes if index["name"].startswith(_AUTO)}
    found: list[dict[str, Any]] = []
    for match in re.finditer(_TABLE_UNIQUE, sql, re.I):
        if not waiting:
            break
        quoted, unquoted, columns = match.group(1, 2, 3)
        names = list(replay._find_cols_in_sig(columns))
        if tuple(names) in waiting:
            waiting.remove(tuple(names))
            found.append({"name": quoted or unquoted, "column_names": names})
    if waiting:  # an inline UNIQUE (or the primary key's own index): the dialect's whole method decides
        return replay.get_unique_constraints(connection, table, **kw)
    return found


_VERIFIED: dict[type, bool] = {}


def _verified(dialect_class: type) -> bool:
    """The shortcut holds only for a dialect whose get_unique_constraints still uses this exact first pattern."""
    if dialect_class not in _VERIFIED:
        method = getattr(dialect_class, "get_unique_constraints", None)
        code = getattr(getattr(method, "__wrapped__", method), "__code__", None)
        _VERIFIED[dialect_class] = code is not None and _TABLE_UNIQUE in _constants(code)
    return _VERIFIED[dialect_class]


def _constants(code: types.CodeType) -> set[object]:
    found: set[object] = set()
    for constant in code.co_consts:
        found |= _constants(constant) if isinstance(constant, types.CodeType) else {constant}
    return found
