"""PostgreSQL's answer to "what is this statement waiting for": the server process and the sessions blocking it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

# The sessions blocking server process %(pid)s, with the tables of this database they hold locks on.
BLOCKERS = (
    "SELECT a.pid, a.state, left(a.query, 80), string_agg(DISTINCT l.relation::regclass::text, ', ') "
    "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.relation IS NOT NULL "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "WHERE a.pid = ANY(pg_blocking_pids(%(pid)s)) GROUP BY a.pid, a.state, a.query"
)


def backend_pid(dbapi_connection: object) -> int | None:
    """The server process behind a psycopg connection (psycopg 3 exposes it as info.backend_pid), else None."""
    info = getattr(dbapi_connection, "info", None)
    pid = getattr(info, "backend_pid", None)
    return pid if isinstance(pid, int) else None


def blocked_by(connection: Connection, pid: int) -> str:
    """Which sessions block server process `pid`, and the tables they hold: what a migration waits for."""
    rows = connection.exec_driver_sql(BLOCKERS, {"pid": pid}).all()
    parts = [
        f"blocked by session {row[0]} ({row[1]}: {' '.join(str(row[2]).split())})"
        + (f", which holds {row[3]}" if row[3] else "")
        for row in rows
    ]
    return "; ".join(parts)
