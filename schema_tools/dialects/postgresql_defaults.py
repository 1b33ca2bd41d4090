"""PostgreSQL's spellings of server defaults: a literal comes back with its cast ('x'::character varying)."""

from __future__ import annotations

import re

_CAST = re.compile(r"^('(?:[^']|'')*')::[a-z][a-z ]*(?:\(\d+(?:,\d+)?\))?$")


def without_cast(value: str) -> str:
    """A lowercased reflected default with the cast of a plain literal taken off ('x'::text -> 'x')."""
    return _CAST.sub(r"\1", value)
