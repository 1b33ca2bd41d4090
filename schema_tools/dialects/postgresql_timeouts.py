"""PostgreSQL's DDL timeouts: lock_timeout and statement_timeout, and SQLSTATE 55P03 when a lock wait gave up."""

from __future__ import annotations

from sqlalchemy.engine import Connection

# SQLSTATE lock_not_available: lock_timeout (or NOWAIT) ended the wait; the statement did nothing.
LOCK_NOT_AVAILABLE = "55P03"


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def ddl_timeouts(lock_seconds: float, statement_seconds: float) -> list[str]:
    """SET statements for the session (0: the server's own setting is kept)."""
    statements = []
    if lock_seconds > 0:
        statements.append(f"SET lock_timeout = '{_milliseconds(lock_seconds)}ms'")
    if statement_seconds > 0:
        statements.append(f"SET statement_timeout = '{_milliseconds(statement_seconds)}ms'")
    return statements


def lock_timed_out(error: BaseException) -> bool:
    """psycopg (sqlstate) or asyncpg (sqlstate, through SQLAlchemy's adapter) said 55P03."""
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code == LOCK_NOT_AVAILABLE


def holders_hint(table: str) -> str:
    """The query that names the sessions holding a lock on `table`."""
    return (
        "SELECT pid, state, query FROM pg_stat_activity WHERE pid IN "
        f"(SELECT pid FROM pg_locks WHERE relation = '{table}'::regclass AND granted)"
    )


# The other sessions holding a granted lock on one table (the regclass spelling the statement used).
HOLDERS = (
    "SELECT a.pid, a.state, left(a.query, 80) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.granted AND l.relation = to_regclass(%(table)s) AND l.pid <> pg_backend_pid() ORDER BY a.pid"
)


def lock_holders(connection: Connection, table: str) -> str:
    """The sessions holding a lock on `table` right now: what a migration's DDL waited for."""
    rows = connection.exec_driver_sql(HOLDERS, {"table": table}).all()
    return "; ".join(f"session {row[0]} ({row[1]}: {' '.join(str(row[2]).split())})" for row in rows)
