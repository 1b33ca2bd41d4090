"""One comparable spelling of a SQL expression (a CHECK, a computed column), whichever backend reflected it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Dialect

from ..dialects import BACKENDS

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_NOISE = re.compile(r"[`\"\s]")
_CAST_NUMBER = re.compile(r"'(-?\d+(?:\.\d+)?)'::")


def canonical(text: str) -> str:
    """`x > 0`, `(x > 0)`, PostgreSQL's `(x > 0)` and MariaDB's `` `x` > 0 `` all give `x>0`.

    String literals are kept as written; around them case, whitespace, identifier quotes and every backend's
    respelling (PostgreSQL's casts and `= ANY (ARRAY[...])`) go, and so do parentheses: grouping is compared
    loosely, as Alembic compares computed columns, because each backend adds its own. `!=` is `<>`.
    """
    literals: list[str] = []

    def keep(match: re.Match[str]) -> str:
        literals.append(match.group())
        return f"\x00{len(literals) - 1}\x00"

    text = _CAST_NUMBER.sub(r"\1::", text)  # '-10'::integer is the number -10, not a string
    masked = _NOISE.sub("", _LITERAL.sub(keep, text).lower())
    for backend in BACKENDS:
        masked = backend.respell_expression(masked)
    masked = masked.replace("!=", "<>").replace("(", "").replace(")", "")
    return _PLACEHOLDER.sub(lambda match: literals[int(match.group(1))], masked)


def sql_text(expression: Any, dialect: Dialect) -> str:
    """A model's expression as CREATE TABLE writes it here: columns without their table, values inlined."""
    if isinstance(expression, str):
        return expression
    compiler = dialect.ddl_compiler(dialect, None).sql_compiler  # type: ignore[arg-type]  # no statement
    return str(compiler.process(expression, include_table=False, literal_binds=True))


def unwrapped(text: str) -> str:
    """`((x * 2))` shown as `x * 2`: the outer parentheses a backend adds, when they enclose the whole text."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _closes_at_end(text):
        text = text[1:-1].strip()
    return text


def _closes_at_end(text: str) -> bool:
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return True
