"""SQLite: a file, batch-mode ALTERs, transactional DDL, no identifier limit."""

from __future__ import annotations

from typing import ClassVar

from .base import Backend


class SQLite(Backend):
    """SQLite through the stdlib driver (aiosqlite for async env.py files)."""

    name = "sqlite"
    label = "SQLite"
    dialect_names = frozenset({"sqlite"})
    file_based = True
    transactional_ddl = True
    render_as_batch = True
    supported = True
    sync_drivers: ClassVar[dict[str, str]] = {"sqlite": "sqlite"}
    async_drivers: ClassVar[dict[str, str]] = {"sqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite"}
    sync_of_async: ClassVar[dict[str, str]] = {"sqlite+aiosqlite": "sqlite"}
