"""NamedEnum: a database's named enum type (PostgreSQL's CREATE TYPE ... AS ENUM) as the comparators see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NamedEnum:
    """One enum type: its labels in sort order and the (table, column) pairs whose type it is."""

    name: str
    labels: tuple[str, ...]
    columns: tuple[tuple[str, str], ...] = ()
