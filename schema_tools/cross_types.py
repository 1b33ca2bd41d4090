"""Is a type change between two backends only their two spellings of one type (DATETIME vs TIMESTAMP)?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from .dialects import Backend
from .rules.types import as_type, family

# SQLAlchemy's spelling of a Uuid on a backend without one: CHAR(32) of hex digits.
_UUID_AS_TEXT = 32


def _generic(type_: Any, backend: Backend) -> TypeEngine[Any]:
    """The type a reflected one stands for on its backend (MySQL's TINYINT(1) is a Boolean)."""
    instance = as_type(type_)
    candidates = backend.portable_candidates(instance)
    return candidates[0] if candidates else instance


def _bits(type_: Any, backend: Backend) -> int:
    """The mantissa bits a float type really stores on `backend`."""
    stored = backend.float_bits(type_)
    if stored is not None:
        return stored
    if isinstance(type_, sa.Double) or type(type_).__name__ in ("DOUBLE", "DOUBLE_PRECISION"):
        return 53
    precision = getattr(type_, "precision", None)
    return 53 if precision and precision > 24 else 24


def _integer_rank(type_: Any) -> int:
    if isinstance(type_, sa.SmallInteger):
        return 1
    return 3 if isinstance(type_, sa.BigInteger) else 2


def _fixed(type_: Any) -> bool:
    """CHAR pads, VARCHAR does not: of one length, they still store different values."""
    return isinstance(type_, sa.CHAR | sa.NCHAR)


def _strings(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return old.length == new.length and _fixed(old) == _fixed(new)


def _binaries(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return getattr(old, "length", None) == getattr(new, "length", None)


def _integers(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return _integer_rank(old) == _integer_rank(new)


def _floats(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return _bits(old, target) == _bits(new, source)


def _numerics(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return (old.precision, old.scale) == (new.precision, new.scale)


def _zoned(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    """A zone on one side only is a backend that cannot keep one (SQLite, MySQL), or a real difference."""
    zones = bool(getattr(old, "timezone", False)), bool(getattr(new, "timezone", False))
    return zones[0] == zones[1] or not (target.stores_timezones and source.stores_timezones)


def _enums(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return tuple(old.enums) == tuple(new.enums)


def _same(old: Any, new: Any, target: Backend, source: Backend) -> bool:
    return True


_SAME_FAMILY: dict[str, Callable[[Any, Any, Backend, Backend], bool]] = {
    "string": _strings,
    "binary": _binaries,
    "integer": _integers,
    "float": _floats,
    "numeric": _numerics,
    "datetime": _zoned,
    "time": _zoned,
    "enum": _enums,
    "boolean": _same,
    "date": _same,
    "json": _same,
}


def _non_native(old: Any, new: Any) -> str | None:
    """SQLAlchemy's own stand-ins where a backend lacks the type: Enum as VARCHAR(longest), Uuid as CHAR(32)."""
    for one, other in ((old, new), (new, old)):
        if not isinstance(other, sa.String) or isinstance(other, sa.Enum):
            continue
        if isinstance(one, sa.Enum) and other.length == max((len(label) for label in one.enums), default=0):
            return "an enum, kept as VARCHAR where there is no enum type"
        if isinstance(one, sa.Uuid) and other.length == _UUID_AS_TEXT:
            return "a UUID, kept as CHAR(32) where there is no UUID type"
    return None


def same_type(old: Any, new: Any, target: Backend, source: Backend) -> str | None:
    """Why `old` (reflected on `target`) and `new` (on `source`) are one type, or None when they are not.

    One type means the same family with nothing lost either way: a DATETIME and a TIMESTAMP, TEXT and
    CLOB, BOOLEAN and TINYINT(1), DOUBLE and FLOAT(53), VARCHAR(n) and NVARCHAR(n).
    """
    old_type, new_type = _generic(old, target), _generic(new, source)
    old_family, new_family = family(old_type), family(new_type)
    if old_family != new_family:
        return _non_native(old_type, new_type)
    if old_family == "other":
        uuids = isinstance(old_type, sa.Uuid) and isinstance(new_type, sa.Uuid)
        return "both are UUIDs" if uuids else None
    if not _SAME_FAMILY[old_family](old_type, new_type, target, source):
        return None
    if bool(getattr(old_type, "timezone", False)) != bool(getattr(new_type, "timezone", False)):
        lacking = next(backend.family for backend in (source, target) if not backend.stores_timezones)
        return f"one {old_family} type; {lacking} keeps no time zone"
    return f"one {old_family} type, spelled two ways"
