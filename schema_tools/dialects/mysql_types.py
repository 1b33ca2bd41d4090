"""MySQL's and MariaDB's stored types: FLOAT(p) is FLOAT or DOUBLE by p, BOOL is TINYINT(1)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from .stored_types import same_when_stored

_FLOAT = re.compile(r"^FLOAT\((?P<bits>\d+)\)$")
# Spellings the server replaces by another at CREATE TABLE (SHOW CREATE TABLE and reflection say the right side).
_RESPELLED = {"BOOL": "TINYINT(1)", "BOOLEAN": "TINYINT(1)", "DOUBLE PRECISION": "DOUBLE"}
# FLOAT(p) keeps p only to choose the storage: 0-24 is a 4-byte FLOAT, 25-53 an 8-byte DOUBLE, more is refused.
_SINGLE_BITS, _DOUBLE_BITS = 24, 53


def stored(spelling: str) -> str:
    """What MySQL/MariaDB store a type spelled so in CREATE TABLE as (FLOAT(53) -> DOUBLE, BOOL -> TINYINT(1)).

    REAL is left alone: it is DOUBLE or FLOAT depending on the server's sql_mode (REAL_AS_FLOAT).
    """
    match = _FLOAT.match(spelling)
    if match is None:
        return _RESPELLED.get(spelling, spelling)
    bits = int(match.group("bits"))
    if bits <= _SINGLE_BITS:
        return "FLOAT"
    return "DOUBLE" if bits <= _DOUBLE_BITS else spelling


def same_type(inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect) -> bool | None:
    """True when the server stores the models' type as the inspected one (Float(53) and DOUBLE); else None."""
    return same_when_stored(inspected, metadata, dialect, stored)
