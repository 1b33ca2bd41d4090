"""What a backend's catalog read returns: per-table fingerprints, kept apart so dialects/ can build it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Catalog:
    """The live side's fingerprints: `tables` is None when `token` shows nothing changed since last time.

    `ddl` holds SQLite's (type, sql) rows per table, tables first, to rebuild a table elsewhere.
    """

    tables: dict[str, str] | None
    token: str | None = None
    ddl: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def digest(rows: list[str]) -> str:
    """One table's fingerprint: the same rows in any order give the same digest."""
    return hashlib.sha1("\n".join(sorted(rows)).encode()).hexdigest()
