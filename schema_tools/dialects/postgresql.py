"""PostgreSQL: transactional DDL, 63-byte identifiers, pg_dump/pg_restore backups, lock-aware rules."""

from __future__ import annotations

from typing import ClassVar

from .base import Backend


class PostgreSQL(Backend):
    """PostgreSQL through psycopg 3 (asyncpg or psycopg's async mode for async env.py files)."""

    name = "postgresql"
    label = "PostgreSQL"
    dialect_names = frozenset({"postgresql", "postgres"})
    transactional_ddl = True
    identifier_limit = 63
    identifier_unit = "bytes"
    supported = True
    sync_drivers: ClassVar[dict[str, str]] = {"postgresql": "postgresql+psycopg"}
    async_drivers: ClassVar[dict[str, str]] = {
        "postgresql": "postgresql+asyncpg",
        "postgresql+psycopg2": "postgresql+asyncpg",
        "postgresql+psycopg": "postgresql+psycopg_async",
    }
    sync_of_async: ClassVar[dict[str, str]] = {
        "postgresql+asyncpg": "postgresql+psycopg",
        "postgresql+psycopg_async": "postgresql+psycopg",
    }
