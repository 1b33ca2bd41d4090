"""SQL text: batch rebuilds in a fixed order (not set order), and reflected server defaults respelled per dialect."""

from __future__ import annotations

import re

from .dialects import backend_named


def _split_top_level(body: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    items.append("".join(current).strip())
    return items


def canonical_create_table(statement: str) -> str:
    """A CREATE TABLE with its CONSTRAINT clauses sorted after the columns (which keep their order)."""
    if not statement.lstrip().startswith("CREATE TABLE") or "(" not in statement:
        return statement
    head, _, rest = statement.partition("(")
    body, _, tail = rest.rpartition(")")
    items = _split_top_level(body)
    columns = [item for item in items if not item.startswith("CONSTRAINT")]
    constraints = sorted(item for item in items if item.startswith("CONSTRAINT"))
    multiline = "\n" in body
    joined = (",\n    ".join(columns + constraints)) if multiline else ", ".join(columns + constraints)
    return f"{head}(\n    {joined}\n){tail}" if multiline else f"{head}({joined}){tail}"


def stable_order(statements: list[str]) -> list[str]:
    """Statements with CREATE TABLE constraints sorted and each run of CREATE INDEX sorted.

    Alembic's batch mode copies a table's constraints and indexes from a set, so without this the same
    migration renders in a different order from one run to the next.
    """
    ordered: list[str] = []
    run: list[str] = []
    for statement in [*statements, ""]:
        if statement.lstrip().startswith("CREATE INDEX") or statement.lstrip().startswith("CREATE UNIQUE INDEX"):
            run.append(statement)
            continue
        ordered.extend(sorted(run))
        run = []
        if statement:
            ordered.append(canonical_create_table(statement))
    return ordered


def stable_sql(sql: str) -> str:
    """stable_order() over a script of `;`-terminated statements separated by blank lines."""
    statements = [s.strip() for s in sql.split(";\n") if s.strip()]
    return "".join(f"{s};\n\n" for s in stable_order(statements)).strip() + "\n"


# -- server defaults across dialects ---------------------------------------------------------------------

# A string literal, or a PostgreSQL cast such as ::character varying, ::timestamp with time zone, ::text[].
_LITERAL_OR_CAST = re.compile(
    r"'(?:[^']|'')*'"
    r"|::\s*\"?[a-z_][\w]*\"?(?:\s+(?:varying|precision|with|without|time|zone))*"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*",
    re.IGNORECASE,
)
_LITERAL = re.compile(r"^(?:'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|null|true|false)$", re.IGNORECASE)
_NOW = {"now()", "current_timestamp", "current_timestamp()"}
_TRUE = {"1", "true", "'1'", "'true'"}
_FALSE = {"0", "false", "'0'", "'false'"}


def _without_casts(text: str) -> str:
    return _LITERAL_OR_CAST.sub(lambda m: m.group(0) if m.group(0).startswith("'") else "", text)


def _unwrapped(text: str) -> str:
    value = text.strip()
    while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
        value = value[1:-1].strip()
    return value


def _balanced(text: str) -> bool:
    depth = 0
    for token in _LITERAL_OR_CAST.sub("''", text):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


def portable_default(text: str, dialect: str, *, boolean: bool = False) -> str | None:
    """A server default reflected on one database, spelled so `dialect` accepts it; None when it means nothing there.

    PostgreSQL reflects 'x'::character varying, now() and nextval('t_id_seq'::regclass); MariaDB reflects
    current_timestamp() and booleans as 0/1. A SQLite or MySQL rebuild of that table must not copy them verbatim.
    """
    value = _unwrapped(_without_casts(text))
    lowered = value.lower()
    if lowered.startswith("nextval("):
        return None  # a PostgreSQL sequence behind an autoincrement key: the target numbers the key itself
    if lowered in _NOW:
        return "CURRENT_TIMESTAMP"
    if boolean and lowered in _TRUE | _FALSE:
        true, false = backend_named(dialect).boolean_literals  # integers where there is no real BOOLEAN
        return true if lowered in _TRUE else false
    if _LITERAL.match(value):
        return value
    return f"({value})"  # an expression: SQLite and MySQL accept one only in parentheses
