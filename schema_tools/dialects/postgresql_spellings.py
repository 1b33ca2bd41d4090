"""PostgreSQL's own spellings a schema copied from another backend does not share (SERIAL's nextval default)."""

from __future__ import annotations

import re

_SEQUENCE = re.compile(r"^nextval\('(?:[^']|'')+'(?:::regclass)?\)$", re.IGNORECASE)


def is_sequence_default(value: str) -> bool:
    """Is a reflected default a sequence's nextval(...), what a SERIAL key numbers its rows by?"""
    return _SEQUENCE.match(value.strip()) is not None
