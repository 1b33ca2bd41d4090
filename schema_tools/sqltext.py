"""Stable SQL text: batch rebuilds list constraints and recreate indexes in a fixed order, not set order."""

from __future__ import annotations


def _split_top_level(body: str) -> list[str]:
    items, depth, current = [], 0, []
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
