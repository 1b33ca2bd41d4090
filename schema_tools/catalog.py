"""A schema as plain lines per table, read from the catalog in a few statements: what changed between two moments."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from .dialects import backend_of
from .settings import INTERNAL_TABLES

State = dict[str, tuple[str, ...]]


def catalog_state(connection: Connection) -> State:
    """Every table's columns, indexes and constraints as sorted lines (the DDL text itself on SQLite)."""
    lines: dict[str, list[str]] = defaultdict(list)
    for table, line in backend_of(connection).catalog_lines(connection):
        if table not in INTERNAL_TABLES:
            lines[table].append(" ".join(line.split()))
    return {table: tuple(sorted(entries)) for table, entries in sorted(lines.items())}


def state_changes(before: State, after: State) -> tuple[str, ...]:
    """What differs between two states, one line per table object: '+ bots: column region VARCHAR(20)'."""
    changes = []
    for table in sorted(set(before) | set(after)):
        if table not in before:
            changes.append(f"+ table {table}")
            continue
        if table not in after:
            changes.append(f"- table {table}")
            continue
        old, new = set(before[table]), set(after[table])
        changes += [f"- {table}: {line}" for line in sorted(old - new)]
        changes += [f"+ {table}: {line}" for line in sorted(new - old)]
    return tuple(changes)
