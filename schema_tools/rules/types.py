"""Type-change facts: is `old -> new` a widening, a narrowing, or a cast that existing values may not survive?"""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as satypes

from ..dialects import Backend
from .verdict import DATA_LOSS, MAY_FAIL, SAFE

Assessment = tuple[str, str]

# The family order matters: Boolean is an Integer subclass on some dialects, Double a Float.
_FAMILIES: tuple[tuple[type[Any], str], ...] = (
    (satypes.Enum, "enum"),
    (satypes.Boolean, "boolean"),
    (satypes.Integer, "integer"),
    (satypes.Float, "float"),
    (satypes.Numeric, "numeric"),
    (satypes.DateTime, "datetime"),
    (satypes.Date, "date"),
    (satypes.Time, "time"),
    (satypes.JSON, "json"),
    (satypes.String, "string"),
    (satypes._Binary, "binary"),
)
_INTEGER_RANK = ((satypes.SmallInteger, 1), (satypes.BigInteger, 3), (satypes.Integer, 2))
# The decimal digits each integer rank needs: SMALLINT 5, INTEGER 10, BIGINT 19.
_INTEGER_DIGITS = {1: 5, 2: 10, 3: 19}
_WIDENING = frozenset({("integer", "float"), ("integer", "numeric"), ("boolean", "integer"), ("date", "datetime")})
_NARROWING = frozenset({("float", "integer"), ("numeric", "integer"), ("datetime", "date"), ("datetime", "time")})


def family(type_: Any) -> str:
    """The broad kind of a type (integer, string, ...); 'other' for what the rules cannot reason about."""
    for cls, name in _FAMILIES:
        if isinstance(type_, cls):
            return name
    return "other"


def as_type(value: Any) -> Any:
    """A revision may pass a type class (type_=sa.TEXT) where an instance is meant: compare instances."""
    return None if value is None else satypes.to_instance(value)


def _integer_rank(type_: Any) -> int:
    for cls, rank in _INTEGER_RANK:
        if isinstance(type_, cls):
            return rank
    return 2


def _float_bits(type_: Any, backend: Backend | None) -> int:
    stored = backend.float_bits(type_) if backend is not None else None
    if stored is not None:
        return stored
    if isinstance(type_, satypes.Double) or type(type_).__name__ in ("DOUBLE", "DOUBLE_PRECISION"):
        return 53
    precision = getattr(type_, "precision", None)
    return 53 if precision and precision > 24 else 24


def classify_type_change(old: Any, new: Any, backend: Backend | None = None) -> Assessment:
    """Is `old -> new` widening (safe), narrowing (data-loss), or a cast that may fail (may-fail)?

    `backend` adds what a backend really stores (PostgreSQL's FLOAT is double precision; SQLite's REAL is
    always a double); without it, types are taken as declared."""
    old_family, new_family = family(old), family(new)
    if old_family == new_family == "float":
        return _floats(old, new, backend)
    if old_family == new_family:
        return _SAME_FAMILY.get(old_family, _other)(old_family, old, new)
    if (old_family, new_family) == ("integer", "numeric"):
        return _integer_to_numeric(old, new)
    if (old_family, new_family) in _WIDENING:
        return SAFE, f"widens {old_family} to {new_family}"
    if (old_family, new_family) in _NARROWING:
        return DATA_LOSS, f"narrows {old_family} to {new_family}"
    if new_family == "string" and getattr(new, "length", None) is None:
        return SAFE, f"{old_family} to unbounded text"
    return MAY_FAIL, f"{old_family} to {new_family} needs a cast that existing values may not survive"


def _lengths(_family: str, old: Any, new: Any) -> Assessment:
    old_length, new_length = getattr(old, "length", None), getattr(new, "length", None)
    if new_length is None:
        return SAFE, "widens to unbounded length"
    if old_length is None:
        return DATA_LOSS, f"narrows unbounded text to length {new_length}"
    if new_length < old_length:
        return DATA_LOSS, f"narrows length {old_length} to {new_length}"
    return SAFE, f"widens length {old_length} to {new_length}"


def _integers(_family: str, old: Any, new: Any) -> Assessment:
    if _integer_rank(new) < _integer_rank(old):
        return DATA_LOSS, "narrows to a smaller integer"
    return SAFE, "widens the integer"


def _floats(old: Any, new: Any, backend: Backend | None) -> Assessment:
    if _float_bits(new, backend) < _float_bits(old, backend):
        return DATA_LOSS, "narrows double to single precision"
    return SAFE, "same or wider precision"


def _numerics(_family: str, old: Any, new: Any) -> Assessment:
    old_p, old_s = getattr(old, "precision", None), getattr(old, "scale", None)
    new_p, new_s = getattr(new, "precision", None), getattr(new, "scale", None)
    if new_p is None:
        return SAFE, "widens to unconstrained NUMERIC"
    # NUMERIC(p, s) holds p - s integer digits and s decimals: losing either narrows.
    fewer_integer_digits = old_p is None or new_p - (new_s or 0) < old_p - (old_s or 0)
    fewer_decimals = new_s is not None and old_s is not None and new_s < old_s
    if fewer_integer_digits or fewer_decimals:
        return DATA_LOSS, f"narrows NUMERIC({old_p}, {old_s}) to NUMERIC({new_p}, {new_s})"
    return SAFE, "same or wider precision"


def _integer_to_numeric(old: Any, new: Any) -> Assessment:
    precision, scale = getattr(new, "precision", None), getattr(new, "scale", None) or 0
    needed = _INTEGER_DIGITS[_integer_rank(old)]
    if precision is None or precision - scale >= needed:
        return SAFE, "widens integer to numeric"
    return DATA_LOSS, f"narrows integer to NUMERIC({precision}, {scale}): it holds {precision - scale} integer digits"


def _enums(_family: str, old: Any, new: Any) -> Assessment:
    removed = [label for label in getattr(old, "enums", []) if label not in set(getattr(new, "enums", []))]
    if removed:
        return DATA_LOSS, f"drops enum label(s) {', '.join(map(repr, removed[:5]))}: rows holding them cannot stay"
    return SAFE, "keeps every enum label"


def _other(family_name: str, _old: Any, _new: Any) -> Assessment:
    return MAY_FAIL, f"changes the {family_name} type"


_SAME_FAMILY = {
    "enum": _enums,
    "string": _lengths,
    "binary": _lengths,
    "integer": _integers,
    "numeric": _numerics,
}


def widens_text(old: Any, new: Any) -> bool:
    """varchar(n) -> varchar(m >= n) or text: a change most backends make in the catalog only."""
    if not family(old) == "string" == family(new):
        return False
    new_length, old_length = getattr(new, "length", None), getattr(old, "length", None)
    return new_length is None or (old_length is not None and new_length >= old_length)
