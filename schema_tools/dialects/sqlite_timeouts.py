"""SQLite's DDL timeout: the busy timeout a migration waits for another writer's lock on the file."""

from __future__ import annotations


def ddl_timeouts(lock_seconds: float) -> list[str]:
    """PRAGMA busy_timeout (0: the driver's own timeout is kept); SQLite has no statement timeout."""
    return [f"PRAGMA busy_timeout = {max(1, round(lock_seconds * 1000))}"] if lock_seconds > 0 else []


def lock_timed_out(error: BaseException) -> bool:
    """sqlite3 says "database is locked" (or "database table is locked") when the busy timeout ran out."""
    return "is locked" in str(error)


def holders_hint(table: str) -> str:
    """Another process writing the file holds the lock."""
    return "another process writing the database file (an open write transaction)"
