"""BulkCatalog: every table's reflected columns, keys, indexes and constraints, read in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BulkCatalog:
    """What SQLAlchemy's Inspector.get_multi_* would return for the default schema's tables, keyed by table name.

    Each value has the shape of the matching Inspector method's per-table result (ReflectedColumn dicts with type
    objects, ReflectedForeignKeyConstraint dicts ...), so the fast cold diff reads one structure on every backend.
    A table missing from `columns` was not read (the caller compares it the slow way).
    """

    columns: dict[str, list[dict[str, Any]]]
    primary_keys: dict[str, dict[str, Any]]
    foreign_keys: dict[str, list[dict[str, Any]]]
    indexes: dict[str, list[dict[str, Any]]]
    unique_constraints: dict[str, list[dict[str, Any]]]
    check_constraints: dict[str, list[dict[str, Any]]]
    comments: dict[str, dict[str, Any]]
    # Tables this reader could not put in the shape above (an unparsed DDL, an unknown type): compare them in full.
    unreadable: frozenset[str] = field(default_factory=frozenset)
    # PostgreSQL: each sequence owned by a column (as nextval() names it) -> that column's name.
    owned_sequences: dict[str, str] = field(default_factory=dict)
