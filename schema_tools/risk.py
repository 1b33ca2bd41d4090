"""Risk of each change: static rules (drops, narrowing types) and live-data preflight counts, read-only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection

from . import preflight
from .changes import DATA_LOSS, MAY_FAIL, SAFE, Change, fk_target

Assessment = tuple[str, str]
_RULES: dict[str, Callable[[Change, LiveData | None], Assessment]] = {}


def rule(*kinds: str) -> Callable[[Callable[[Change, LiveData | None], Assessment]], Any]:
    """Register a risk rule for change kinds; a kind without a rule is safe."""

    def register(function: Callable[[Change, LiveData | None], Assessment]) -> Any:
        for kind in kinds:
            _RULES[kind] = function
        return function

    return register


@dataclass
class LiveData:
    """Lazy, read-only facts about the live database that the may-fail rules need."""

    connection: Connection

    @cached_property
    def inspector(self) -> sa.Inspector:
        return sa.inspect(self.connection)

    @cached_property
    def tables(self) -> set[str]:
        return set(self.inspector.get_table_names())

    def columns(self, table: str) -> set[str]:
        if table not in self.tables:
            return set()
        return {column["name"] for column in self.inspector.get_columns(table)}

    def has_columns(self, table: str, columns: tuple[str, ...]) -> bool:
        return bool(columns) and set(columns) <= self.columns(table)

    def rows(self, table: str) -> int:
        return preflight.row_count(self.connection, table) if table in self.tables else 0


def assess(changes: tuple[Change, ...], connection: Connection | None) -> tuple[Change, ...]:
    """The same changes with `risk` and `reason` filled in; live-data rules run only with a connection."""
    live = LiveData(connection) if connection is not None else None
    assessed = []
    for change in changes:
        function = _RULES.get(change.kind)
        risk, reason = function(change, live) if function else (SAFE, "")
        assessed.append(replace(change, risk=risk, reason=reason))
    return tuple(assessed)


@rule("remove_table")
def _remove_table(change: Change, live: LiveData | None) -> Assessment:
    if live is None:
        return DATA_LOSS, "drops the table and all its rows"
    return DATA_LOSS, f"drops the table and its {_plural(live.rows(change.table or ''), 'row')}"


@rule("remove_column")
def _remove_column(change: Change, live: LiveData | None) -> Assessment:
    if live is None:
        return DATA_LOSS, "drops the column's values"
    return DATA_LOSS, f"drops the column's values in {_plural(live.rows(change.table or ''), 'row')}"


@rule("add_column")
def _add_column(change: Change, live: LiveData | None) -> Assessment:
    column = change.raw[3]
    if column.nullable or column.server_default is not None or column.computed is not None:
        return SAFE, ""
    if live is None:
        return MAY_FAIL, "NOT NULL without a server default: fails if the table has rows"
    rows = live.rows(change.table or "")
    if rows:
        return MAY_FAIL, f"NOT NULL without a server default on a table with {_plural(rows, 'row')}"
    return SAFE, "NOT NULL without a default, but the table is empty"


@rule("modify_nullable")
def _modify_nullable(change: Change, live: LiveData | None) -> Assessment:
    if change.after != "NOT NULL":
        return SAFE, ""
    if live is None or not live.has_columns(change.table or "", change.columns):
        return MAY_FAIL, "NOT NULL fails if any row holds NULL"
    nulls = preflight.null_count(live.connection, change.table or "", change.columns[0])
    if nulls:
        return MAY_FAIL, f"NOT NULL fails: {_plural(nulls, 'row')} hold NULL"
    return SAFE, "no row holds NULL"


@rule("add_constraint")
def _add_unique(change: Change, live: LiveData | None) -> Assessment:
    return _unique_risk(change, live)


@rule("add_index")
def _add_index(change: Change, live: LiveData | None) -> Assessment:
    if not change.raw[1].unique:
        return SAFE, ""
    return _unique_risk(change, live)


def _unique_risk(change: Change, live: LiveData | None) -> Assessment:
    table = change.table or ""
    if live is None:
        return MAY_FAIL, "a new unique key fails if existing values repeat"
    if not live.has_columns(table, change.columns):
        return SAFE, "over new columns or a new table"
    groups = preflight.duplicate_groups(live.connection, table, change.columns)
    if groups:
        return MAY_FAIL, f"{_plural(groups, 'group')} of existing rows repeat ({', '.join(change.columns)})"
    return SAFE, "existing values are unique"


@rule("add_fk")
def _add_fk(change: Change, live: LiveData | None) -> Assessment:
    fk: sa.ForeignKeyConstraint = change.raw[1]
    table = change.table or ""
    if live is None:
        return MAY_FAIL, "a new foreign key fails if existing rows point nowhere"
    if not live.has_columns(table, change.columns):
        return SAFE, "over new columns or a new table"
    referred_table, referred_columns = fk_target(fk)
    if not live.has_columns(referred_table, referred_columns):
        return MAY_FAIL, f"refers to {referred_table}({', '.join(referred_columns)}), not in the database yet"
    orphans = preflight.orphan_rows(live.connection, table, change.columns, referred_table, referred_columns)
    if orphans:
        return MAY_FAIL, f"{_plural(orphans, 'row')} point to no {referred_table} row"
    return SAFE, "every existing row has its parent"


@rule("modify_type")
def _modify_type(change: Change, live: LiveData | None) -> Assessment:
    old, new = change.raw[5], change.raw[6]
    verdict, why = classify_type_change(old, new)
    if verdict == SAFE or live is None or not live.has_columns(change.table or "", change.columns):
        return verdict, why
    misfits = preflight.values_not_fitting(live.connection, change.table or "", change.columns[0], new)
    if misfits is None:
        return verdict, why
    if misfits:
        return verdict, f"{why}: {_plural(misfits, 'value')} would not fit"
    return verdict, f"{why}; no current value is affected"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- type changes ---------------------------------------------------------------------------------------

_INTEGER_RANK = ((satypes.SmallInteger, 1), (satypes.BigInteger, 3), (satypes.Integer, 2))


def _family(type_: Any) -> str:
    if isinstance(type_, satypes.Boolean):
        return "boolean"
    if isinstance(type_, satypes.Integer):
        return "integer"
    if isinstance(type_, satypes.Float):
        return "float"
    if isinstance(type_, satypes.Numeric):
        return "numeric"
    if isinstance(type_, satypes.DateTime):
        return "datetime"
    if isinstance(type_, satypes.Date):
        return "date"
    if isinstance(type_, satypes.Time):
        return "time"
    if isinstance(type_, satypes.JSON):
        return "json"
    if isinstance(type_, satypes.String):
        return "string"
    if isinstance(type_, satypes._Binary):
        return "binary"
    return "other"


def _integer_rank(type_: Any) -> int:
    for cls, rank in _INTEGER_RANK:
        if isinstance(type_, cls):
            return rank
    return 2


def _float_bits(type_: Any) -> int:
    if isinstance(type_, satypes.Double) or type(type_).__name__ in ("DOUBLE", "DOUBLE_PRECISION"):
        return 53
    precision = getattr(type_, "precision", None)
    return 53 if precision and precision > 24 else 24


def classify_type_change(old: Any, new: Any) -> Assessment:
    """Is `old -> new` widening (safe), narrowing (data-loss), or a cast that may fail (may-fail)?"""
    old_family, new_family = _family(old), _family(new)
    if old_family == new_family:
        return _same_family(old_family, old, new)
    widening = {
        ("integer", "float"),
        ("integer", "numeric"),
        ("boolean", "integer"),
        ("date", "datetime"),
    }
    narrowing = {("float", "integer"), ("numeric", "integer"), ("datetime", "date"), ("datetime", "time")}
    if (old_family, new_family) in widening:
        return SAFE, f"widens {old_family} to {new_family}"
    if (old_family, new_family) in narrowing:
        return DATA_LOSS, f"narrows {old_family} to {new_family}"
    if new_family == "string" and getattr(new, "length", None) is None:
        return SAFE, f"{old_family} to unbounded text"
    return MAY_FAIL, f"{old_family} to {new_family} needs a cast that existing values may not survive"


def _same_family(family: str, old: Any, new: Any) -> Assessment:
    if family in ("string", "binary"):
        old_length, new_length = getattr(old, "length", None), getattr(new, "length", None)
        if new_length is None:
            return SAFE, "widens to unbounded length"
        if old_length is None:
            return DATA_LOSS, f"narrows unbounded text to length {new_length}"
        if new_length < old_length:
            return DATA_LOSS, f"narrows length {old_length} to {new_length}"
        return SAFE, f"widens length {old_length} to {new_length}"
    if family == "integer":
        if _integer_rank(new) < _integer_rank(old):
            return DATA_LOSS, "narrows to a smaller integer"
        return SAFE, "widens the integer"
    if family == "float":
        if _float_bits(new) < _float_bits(old):
            return DATA_LOSS, "narrows double to single precision"
        return SAFE, "same or wider precision"
    if family == "numeric":
        old_p, old_s = getattr(old, "precision", None), getattr(old, "scale", None)
        new_p, new_s = getattr(new, "precision", None), getattr(new, "scale", None)
        if (new_p is not None and (old_p is None or new_p < old_p)) or (
            new_s is not None and old_s is not None and new_s < old_s
        ):
            return DATA_LOSS, f"narrows NUMERIC({old_p}, {old_s}) to NUMERIC({new_p}, {new_s})"
        return SAFE, "same or wider precision"
    return MAY_FAIL, f"changes the {family} type"
