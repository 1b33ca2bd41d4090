"""SQL text with its string literals left alone: one helper that settings and the dialects both use."""

from __future__ import annotations

import re
from collections.abc import Callable

# A single-quoted SQL string literal, '' inside it being an escaped quote.
LITERAL = re.compile(r"'(?:[^']|'')*'")


def outside_literals(text: str, change: Callable[[str], str]) -> str:
    """`change` applied to the SQL around string literals: 'Active' and 'a  b' are values, kept as written.

    It imports nothing of schema_tools, so dialects/ (which settings imports) can use it without a cycle.
    """
    pieces: list[str] = []
    position = 0
    for literal in LITERAL.finditer(text):
        pieces.extend((change(text[position : literal.start()]), literal.group()))
        position = literal.end()
    pieces.append(change(text[position:]))
    return "".join(pieces)
