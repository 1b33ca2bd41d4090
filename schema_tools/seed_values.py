"""Values for one seeded column, preferred first: each meets the column's type, length and CHECK rule."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes

from .seed_rules import ColumnRule

__all__ = ["candidates"]

_SEED_NAMESPACE = uuid.UUID("5eed0000-0000-4000-8000-000000000000")
_BASE_TIME = dt.datetime(2024, 1, 2, 3, 4, 5)
# Values for PostgreSQL types without a Python type SQLAlchemy knows, by type class name, for row n.
_SPECIAL: dict[str, Callable[[int], list[Any]]] = {
    "INET": lambda n: [f"10.0.0.{n + 1}"],
    "CIDR": lambda n: [f"10.{n}.0.0/16"],
    "MACADDR": lambda n: [f"08:00:2b:01:02:{n:02x}"],
    "MACADDR8": lambda n: [f"08:00:2b:01:02:03:04:{n:02x}"],
    "TSVECTOR": lambda n: [f"seed{n}"],
    "BIT": lambda n: ["1"],
    "MONEY": lambda n: [f"{n + 1}.50"],
    "HSTORE": lambda n: [{"seed": str(n)}],
}


@dataclass(frozen=True)
class _Slot:
    """One column of row `n`: what every value picker reads."""

    column: sa.Column[Any]
    rule: ColumnRule
    table: str
    n: int
    position: int
    labels: tuple[str, ...] | None

    @property
    def type_(self) -> Any:
        return self.column.type

    @cached_property
    def python(self) -> type | None:
        return _python_type(self.type_)

    def is_a(self, kind: type[Any], python: type) -> bool:
        """The column is of SQLAlchemy type `kind`, or of a type whose Python values are `python`s."""
        return isinstance(self.type_, kind) or self.python is python


def candidates(
    column: sa.Column[Any],
    rule: ColumnRule | None,
    table: str,
    n: int,
    position: int = 0,
    labels: tuple[str, ...] | None = None,
) -> list[Any]:
    """Values for row `n` of `column`, preferred first; all meet the column's type, length and CHECK rule.

    Row n's first value differs from the other rows' first values, so unique constraints hold.
    `position` (the column's place in its table) orders same-typed columns, for CHECKs like `a < b`;
    `labels` are the enum labels the app reads an unconstrained string column as.
    """
    slot = _Slot(column, rule or ColumnRule(), table, n, position, labels)
    for pick in _PICKERS:
        values = pick(slot)
        if values is not None:
            return values
    return []


def _allowed(slot: _Slot) -> list[Any] | None:
    if not slot.rule.allowed:
        return None
    allowed = [value for value in (_coerce(value, slot.type_) for value in slot.rule.allowed) if value is not None]
    return _rotated(allowed, slot.n) if allowed else None


def _enum(slot: _Slot) -> list[Any] | None:
    type_ = slot.type_
    return _rotated(list(type_.enums), slot.n) if isinstance(type_, satypes.Enum) and type_.enums else None


def _labelled(slot: _Slot) -> list[Any] | None:
    type_ = slot.type_
    if not slot.labels or not isinstance(type_, satypes.String):
        return None
    fitting = [label for label in slot.labels if not type_.length or len(label) <= type_.length]
    return _rotated(fitting, slot.n) if fitting else None


def _boolean(slot: _Slot) -> list[Any] | None:
    return [slot.n % 2 == 0, slot.n % 2 == 1] if isinstance(slot.type_, satypes.Boolean) else None


def _json(slot: _Slot) -> list[Any] | None:
    n = slot.n
    return [{"seed": n, "table": slot.table}, [n], f"s{n}"] if isinstance(slot.type_, satypes.JSON) else None


def _array(slot: _Slot) -> list[Any] | None:
    if not isinstance(slot.type_, satypes.ARRAY):
        return None
    item = sa.Column(slot.column.name, slot.type_.item_type)
    return [[value] for value in candidates(item, None, slot.table, slot.n, slot.position)[:2]]


def _interval(slot: _Slot) -> list[Any] | None:
    if slot.python is not dt.timedelta:
        return None
    return [dt.timedelta(days=1 + slot.n, seconds=5 + slot.position), dt.timedelta(minutes=slot.n + 1)]


def _datetime(slot: _Slot) -> list[Any] | None:
    if not slot.is_a(satypes.DateTime, dt.datetime):
        return None
    moment = _BASE_TIME + dt.timedelta(days=slot.n, hours=min(slot.position, 20))
    moment = moment.replace(tzinfo=dt.UTC) if getattr(slot.type_, "timezone", False) else moment
    return [moment, moment + dt.timedelta(days=400)]


def _date(slot: _Slot) -> list[Any] | None:
    if not slot.is_a(satypes.Date, dt.date):
        return None
    day = _BASE_TIME.date() + dt.timedelta(days=slot.n)
    return [day, day + dt.timedelta(days=400)]


def _time(slot: _Slot) -> list[Any] | None:
    if not slot.is_a(satypes.Time, dt.time):
        return None
    aware = bool(getattr(slot.type_, "timezone", False))
    moment = dt.time(3 + min(slot.position, 20), slot.n % 60, 5, tzinfo=dt.UTC if aware else None)
    return [moment, moment.replace(hour=0)]


def _integer(slot: _Slot) -> list[Any] | None:
    if not slot.is_a(satypes.Integer, int):
        return None
    n = slot.n
    return _numbers([10 * (n + 1) + slot.position, n + 1, n, 100 + n, -1 - n], slot.rule, n, integral=True)


def _float(slot: _Slot) -> list[Any] | None:
    n = slot.n
    if not isinstance(slot.type_, satypes.Float):
        return None
    return _numbers([1.5 + n, 0.5 + n, 10.5 + n, -1.5 - n], slot.rule, n, integral=False)


def _numeric(slot: _Slot) -> list[Any] | None:
    if not isinstance(slot.type_, satypes.Numeric):
        return None
    decimals = [value for value in _decimals(slot.type_, slot.n) if slot.rule.accepts_number(float(value))]
    return decimals or _bounded(slot.rule, slot.n)


def _uuid(slot: _Slot) -> list[Any] | None:
    if not isinstance(slot.type_, satypes.Uuid):
        return None
    value = uuid.uuid5(_SEED_NAMESPACE, f"{slot.table}.{slot.column.name}.{slot.n}")
    return [value if getattr(slot.type_, "as_uuid", True) else str(value)]


def _binary(slot: _Slot) -> list[Any] | None:
    if not isinstance(slot.type_, satypes._Binary):
        return None
    length = getattr(slot.type_, "length", None) or 4
    return [bytes([slot.n % 256, 1, 2, 3][:length]), bytes([255 - slot.n % 256][:length])]


def _special(slot: _Slot) -> list[Any] | None:
    """Values for PostgreSQL types without a Python type SQLAlchemy knows."""
    values = _SPECIAL.get(type(slot.type_).__name__.upper())
    return values(slot.n) if values is not None else None


def _text(slot: _Slot) -> list[Any] | None:
    if not slot.is_a(satypes.String, str):
        return None
    return _strings(slot.type_, slot.rule, slot.table, slot.column.name, slot.n)


# Tried in order; the first picker that knows the column gives its values (the CHECK's own list first).
_PICKERS: tuple[Callable[[_Slot], list[Any] | None], ...] = (
    _allowed,
    _enum,
    _labelled,
    _boolean,
    _json,
    _array,
    _interval,
    _datetime,
    _date,
    _time,
    _integer,
    _float,
    _numeric,
    _uuid,
    _binary,
    _special,
    _text,
)


def _rotated(values: list[Any], n: int) -> list[Any]:
    return [values[(n + i) % len(values)] for i in range(len(values))]


def _python_type(type_: Any) -> type | None:
    try:
        python: type = type_.python_type
    except (NotImplementedError, AttributeError):
        return None
    return python


def _coerce(value: Any, type_: Any) -> Any:
    """A CHECK literal as the column's Python value: 1 for an integer column, '1' for a text one."""
    if isinstance(type_, satypes.Boolean):
        return None  # True/False cover `IN (0, 1)`; the Boolean type refuses plain integers
    if isinstance(type_, satypes.Integer):
        return int(value) if isinstance(value, int | float) and float(value).is_integer() else None
    if isinstance(type_, satypes.Numeric):
        return value if isinstance(value, int | float) else None
    if isinstance(type_, satypes.String) or _python_type(type_) is str:
        return value if isinstance(value, str) else str(value)
    return value


def _numbers(values: list[float], rule: ColumnRule, n: int, *, integral: bool) -> list[Any]:
    kept = [value for value in values if rule.accepts_number(value)]
    return kept or _bounded(rule, n, integral=integral)


def _bounded(rule: ColumnRule, n: int, *, integral: bool = True) -> list[Any]:
    """Values just inside the CHECK's bounds (row n's first), for when the usual values all fall outside."""
    step = 1 if integral else 0.5
    if rule.low is not None:
        first = rule.low if rule.low_inclusive else rule.low + step
        values = [first + n * step, first]
    elif rule.high is not None:
        first = rule.high if rule.high_inclusive else rule.high - step
        values = [first - n * step, first]
    else:
        return []
    kept = [value for value in values if rule.accepts_number(value)]
    return list(dict.fromkeys(int(value) if integral else value for value in kept))


def _decimals(type_: Any, n: int) -> list[Decimal]:
    """Values with at most precision - scale whole digits and `scale` decimals."""
    scale = type_.scale or 0
    whole_digits = (type_.precision - scale) if type_.precision else 6
    top = 10**whole_digits - 1 if whole_digits > 0 else 0
    fraction = Decimal("0.5") if scale >= 1 else Decimal(0)
    values = []
    for whole in (n + 1, n, 10 + n):
        if top == 0:
            values.append(Decimal(whole % 10**scale or 1).scaleb(-scale) if scale else Decimal(0))
        else:
            values.append(Decimal(whole % (top + 1)) + fraction)
    return list(dict.fromkeys(values))


def _fit(text: str, limit: int | None, least: int, n: int, json_only: bool) -> str | None:
    """`text` cut to `limit` and padded to `least` characters; None when it cannot fit (cut JSON is no JSON)."""
    if limit is not None and len(text) > limit:
        if json_only:
            return None
        text = text[:limit] if limit >= len(f"s{n}") else str(n % 10)[:limit]
    if len(text) < least:
        text += "x" * (least - len(text))
    return text if limit is None or len(text) <= limit else None


def _strings(type_: Any, rule: ColumnRule, table: str, column: str, n: int) -> list[str]:
    limits = [limit for limit in (getattr(type_, "length", None), rule.max_length) if limit]
    limit = min(limits) if limits else None
    if rule.json:
        texts = [json.dumps({"seed": n, "table": table}), json.dumps(n), json.dumps(f"s{n}")]
    else:
        texts = [f"s{n}-{table[:6]}-{column[:6]}-ü", f"{n + 1}", f"a{n}", json.dumps(f"s{n}"), f"{n}"]
    fitted = (_fit(text, limit, rule.min_length or 0, n, rule.json) for text in texts)
    return list(dict.fromkeys(text for text in fitted if text is not None))
