"""PostgreSQL's spelling of CHECK and generated-column expressions, and its stored-by-default computed columns."""

from __future__ import annotations

import re

from sqlalchemy.engine import Dialect

# Applied to an expression already lowercased, unquoted and without whitespace (comparators.expressions).
_CAST = re.compile(r"::[a-z_][a-z0-9_]*(?:\(\d+(?:,\d+)*\))?(?:\[\])*")
_ANY = re.compile(r"=any\(array\[([^\[\]]*)\]\)")
_ALL = re.compile(r"<>all\(array\[([^\[\]]*)\]\)")
# One value: PostgreSQL writes `s NOT IN ('c')` as `s <> 'c'` and `s IN ('a')` as `s = 'a'`.
_ONE = r"\((\x00\d+\x00|-?[\d.]+)\)"
_NOT_IN_ONE = re.compile(r"notin" + _ONE)
_IN_ONE = re.compile(r"in" + _ONE)


def respell_expression(text: str) -> str:
    """pg_get_constraintdef's `s::text = ANY (ARRAY['a'::character varying])` is the models' `s IN ('a')`."""
    text = _CAST.sub("", text)
    text = _ANY.sub(r"in(\1)", text)
    text = _ALL.sub(r"notin(\1)", text)
    return _IN_ONE.sub(r"=\1", _NOT_IN_ONE.sub(r"<>\1", text))


def computed_stored_by_default(dialect: Dialect) -> bool:
    """Before PostgreSQL 18 every generated column is STORED; 18 makes VIRTUAL the default."""
    version = getattr(dialect, "server_version_info", None) or (0,)
    return tuple(version) < (18,)
