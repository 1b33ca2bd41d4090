"""PostgreSQL's stored types (FLOAT(p) is REAL or DOUBLE PRECISION by p) and its typed NULL defaults."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from .stored_types import same_when_stored

_FLOAT = re.compile(r"^FLOAT\((?P<bits>\d+)\)$")
# Spellings PostgreSQL replaces by its own at CREATE TABLE (FLOAT with no precision is double precision).
_RESPELLED = {"FLOAT": "DOUBLE PRECISION", "FLOAT4": "REAL", "FLOAT8": "DOUBLE PRECISION", "DOUBLE": "DOUBLE PRECISION"}
# float(p): 1-24 bits is REAL (4 bytes), 25-53 DOUBLE PRECISION (8 bytes), anything else is refused.
_SINGLE_BITS, _DOUBLE_BITS = 24, 53
# A DEFAULT NULL comes back cast to the column's type: NULL::character varying.
_TYPED_NULL = re.compile(r"^null::[a-z][a-z ]*(?:\(\d+(?:,\d+)?\))?$")


def stored(spelling: str) -> str:
    """What PostgreSQL stores a type spelled so in CREATE TABLE as (FLOAT(24) -> REAL, FLOAT -> DOUBLE PRECISION)."""
    match = _FLOAT.match(spelling)
    if match is None:
        return _RESPELLED.get(spelling, spelling)
    bits = int(match.group("bits"))
    if 1 <= bits <= _SINGLE_BITS:
        return "REAL"
    return "DOUBLE PRECISION" if _SINGLE_BITS < bits <= _DOUBLE_BITS else spelling


def same_type(inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect) -> bool | None:
    """True when PostgreSQL stores the models' type as the inspected one (Float(24) and REAL); else None."""
    return same_when_stored(inspected, metadata, dialect, stored)


def without_null_cast(value: str) -> str:
    """A lowercased reflected default with the cast taken off a NULL (null::character varying -> null)."""
    return "null" if _TYPED_NULL.match(value) else value
