"""What a table's CHECK constraints allow per column, read from their simple forms, so seeded values pass them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .check_text import conjuncts, literal, literals, normalize_check, split_top, strip_parentheses
from .dialects import backend_of

__all__ = ["CheckConstraints", "ColumnRule", "check_constraints", "column_rules"]

# table -> (name, SQL text) of each of its CHECK constraints.
CheckConstraints = dict[str, tuple[tuple[str | None, str], ...]]
# (column, rule fields) for one simple condition.
_Piece = tuple[str, dict[str, Any]]


def check_constraints(connection: Connection) -> CheckConstraints:
    """(name, SQL text) of every CHECK constraint per table.

    Some backends keep CHECKs out of what SQLAlchemy reflects (MariaDB's column-level ones): the backend reads
    those from its own catalog.
    """
    rows = backend_of(connection).catalog_check_constraints(connection)
    if rows is not None:
        found: dict[str, list[tuple[str | None, str]]] = {}
        for table, name, clause in rows:
            found.setdefault(table, []).append((name, clause))
        return {table: tuple(items) for table, items in found.items()}
    inspector = sa.inspect(connection)
    result = {}
    for table in inspector.get_table_names():
        try:
            items = inspector.get_check_constraints(table)
        except NotImplementedError:
            items = []
        if items:
            result[table] = tuple((item.get("name"), str(item["sqltext"])) for item in items)
    return result


@dataclass
class ColumnRule:
    """What the CHECK constraints on one column allow, as far as their simple forms tell."""

    allowed: tuple[Any, ...] | None = None
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    min_length: int | None = None
    max_length: int | None = None
    json: bool = False

    def accepts_number(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)):
            return False
        return True


_ID = r"\(?\s*([A-Za-z_][\w$]*)\s*\)?"
_LITERAL = r"\(?\s*('(?:[^']|'')*'|[-+]?\s*\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false)\s*\)?"
_OPERATOR = r"(<=|>=|<>|!=|==|=|<|>)"
_IN = re.compile(rf"^{_ID}\s+in\s*\((.*)\)$", re.IGNORECASE | re.DOTALL)
_ANY = re.compile(rf"^{_ID}\s*=\s*any\s*\(\s*\(?\s*array\s*\[(.*)\]\s*\)?\s*\)$", re.IGNORECASE | re.DOTALL)
_COMPARE = re.compile(rf"^{_ID}\s*{_OPERATOR}\s*{_LITERAL}$", re.IGNORECASE)
_COMPARE_REVERSED = re.compile(rf"^{_LITERAL}\s*{_OPERATOR}\s*{_ID}$", re.IGNORECASE)
_BETWEEN = re.compile(rf"^{_ID}\s+between\s+{_LITERAL}\s+and\s+{_LITERAL}$", re.IGNORECASE)
_LENGTH = re.compile(
    rf"^(?:length|char_length|character_length|len)\s*\(\s*{_ID}\s*\)\s*{_OPERATOR}\s*\(?\s*(\d+)\s*\)?$",
    re.IGNORECASE,
)
_NOT_NULL = re.compile(rf"^{_ID}\s+is\s+not\s+null$", re.IGNORECASE)
_IS_NULL = re.compile(rf"^{_ID}\s+is\s+null$", re.IGNORECASE)
_JSON_VALID = re.compile(rf"^json_valid\s*\(\s*{_ID}\s*\)$", re.IGNORECASE)
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "==": "==", "<>": "<>", "!=": "!="}
# LENGTH(c) <operator> size -> the length bounds it sets.
_LENGTH_BOUNDS: dict[str, Callable[[int], dict[str, int]]] = {
    "<": lambda size: {"max_length": size - 1},
    "<=": lambda size: {"max_length": size},
    ">": lambda size: {"min_length": size + 1},
    ">=": lambda size: {"min_length": size},
    "=": lambda size: {"min_length": size, "max_length": size},
    "==": lambda size: {"min_length": size, "max_length": size},
}


def _comparison(column: str, operator: str, text: str) -> _Piece | None:
    value = literal(text)
    if operator in ("=", "=="):
        return column, {"allowed": (value,)}
    if operator in ("<>", "!=") or isinstance(value, str | bool):
        return None
    if operator in (">", ">="):
        return column, {"low": value, "low_inclusive": operator == ">="}
    return column, {"high": value, "high_inclusive": operator == "<="}


def _between(found: re.Match[str]) -> _Piece | None:
    low, high = literal(found[2]), literal(found[3])
    if isinstance(low, str) or isinstance(high, str):
        return None
    return found[1], {"low": low, "high": high}


def _length(found: re.Match[str]) -> _Piece | None:
    bounds = _LENGTH_BOUNDS.get(found[2])
    return (found[1], bounds(int(found[3]))) if bounds is not None else None


# The simple forms, in the order they are tried: the first that matches decides (None: not readable).
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Piece | None]], ...] = (
    (_IN, lambda found: (found[1], {"allowed": literals(found[2])})),
    (_ANY, lambda found: (found[1], {"allowed": literals(found[2])})),
    (_COMPARE, lambda found: _comparison(found[1], found[2], found[3])),
    (_COMPARE_REVERSED, lambda found: _comparison(found[3], _FLIPPED[found[2]], found[1])),
    (_BETWEEN, _between),
    (_LENGTH, _length),
    (_NOT_NULL, lambda found: (found[1], {})),
    (_JSON_VALID, lambda found: (found[1], {"json": True})),
)


def _piece(text: str) -> _Piece | None:
    """(column, rule fields) for one simple condition, or None when its form is not one of the simple ones."""
    for pattern, read in _FORMS:
        found = pattern.match(text)
        if found:
            return read(found)
    return None


def _either(alternatives: list[str]) -> _Piece | None:
    """`col IS NULL OR col IN (...)`, `col = 'a' OR col = 'b'`: a non-NULL value must meet the rest."""
    kept = [strip_parentheses(part) for part in alternatives if not _IS_NULL.match(strip_parentheses(part))]
    pieces = [_piece(part) for part in kept]
    readable = [piece for piece in pieces if piece is not None]
    if not pieces or len(readable) != len(pieces):
        return None
    return readable[0] if len(readable) == 1 else _one_of(readable)


def _one_of(pieces: list[_Piece]) -> _Piece | None:
    """`col = 'a' OR col IN ('b', 'c')`: every listed value of one column; None for any other mix."""
    columns = {column.lower() for column, _ in pieces}
    if len(columns) != 1 or any(set(fields) != {"allowed"} for _, fields in pieces):
        return None
    return next(iter(columns)), {"allowed": tuple(value for _, fields in pieces for value in fields["allowed"])}


def _pieces(text: str) -> list[_Piece]:
    found = []
    for conjunct in conjuncts(normalize_check(text)):
        alternatives = split_top(conjunct, "or")
        piece = _piece(conjunct) if len(alternatives) == 1 else _either(alternatives)
        if piece:
            found.append(piece)
    return found


def column_rules(table: sa.Table, checks: Iterable[tuple[str | None, str]]) -> dict[str, ColumnRule]:
    """What each column's CHECK constraints allow, keyed by column name (only the simple forms are read)."""
    names = {column.name.lower(): column.name for column in table.columns}
    rules: dict[str, ColumnRule] = {}
    for _, text in checks:
        for column, fields in _pieces(text):
            name = names.get(column.lower())
            if name is None:
                continue
            rule = rules.setdefault(name, ColumnRule())
            _merge(rule, fields)
    return rules


def _merge_bounds(rule: ColumnRule, fields: dict[str, Any]) -> None:
    if "low" in fields and (rule.low is None or fields["low"] >= rule.low):
        rule.low, rule.low_inclusive = fields["low"], fields.get("low_inclusive", True)
    if "high" in fields and (rule.high is None or fields["high"] <= rule.high):
        rule.high, rule.high_inclusive = fields["high"], fields.get("high_inclusive", True)


def _merge_lengths(rule: ColumnRule, fields: dict[str, Any]) -> None:
    if "min_length" in fields:
        rule.min_length = max(rule.min_length or 0, fields["min_length"])
    if "max_length" in fields:
        known = rule.max_length
        rule.max_length = fields["max_length"] if known is None else min(known, fields["max_length"])


def _merge(rule: ColumnRule, fields: dict[str, Any]) -> None:
    """Narrow `rule` by one condition's fields: every CHECK on a column must hold at once."""
    if "allowed" in fields:
        new = tuple(fields["allowed"])
        rule.allowed = new if rule.allowed is None else tuple(v for v in rule.allowed if v in new) or new
    _merge_bounds(rule, fields)
    _merge_lengths(rule, fields)
    if fields.get("json"):
        rule.json = True
