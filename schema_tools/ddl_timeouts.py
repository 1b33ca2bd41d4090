"""DDL timeouts for guarded migrations: a lock wait gives up instead of queueing the site, and is retried."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from .dialects import Backend, backend_of
from .dialects.mysql_lock_limit import MetadataLockLimit, session_id, sub_second
from .errors import ConfigurationError
from .project import Project

# A statement that changes something (the version table's own writes are counted apart).
_WRITE = re.compile(r"^\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE|INSERT|UPDATE|DELETE|REPLACE|COMMENT)\b", re.I)
_VERSION = re.compile(r"\balembic_version\b", re.I)
_TABLE = re.compile(
    r"\b(?:TABLE|ON|INTO|UPDATE|FROM)\s+(?:ONLY\s+|IF\s+(?:NOT\s+)?EXISTS\s+)?([`\"\w.]+)", re.IGNORECASE
)
_APPLIED = "schema_tools.ddl_timeouts"


@dataclass(frozen=True)
class DdlTimeouts:
    """How long a migration's statement waits for a lock, runs at most, and how often a lock wait is retried."""

    lock_seconds: float
    statement_seconds: float
    retries: int
    backoff_seconds: float

    def delay(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1, 2, ...): backoff, 2x backoff, 4x backoff..."""
        return float(self.backoff_seconds * 2 ** (attempt - 1))


def _checked(name: str, value: float | None, default: float, *, whole: bool = False) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (whole and value != int(value)):
        kind = "a whole number (0 or more)" if whole else "a number of seconds (0 or more)"
        raise ConfigurationError(f"{name} must be {kind}, not {value!r}")
    return value


def ddl_timeouts(
    project: Project,
    lock: float | None = None,
    statement: float | None = None,
    retries: int | None = None,
    backoff: float | None = None,
) -> DdlTimeouts:
    """The project's settings ([tool.schema-tools], SCHEMA_TOOLS_*), overridden by upgrade()'s arguments."""
    return DdlTimeouts(
        float(_checked("ddl_lock_timeout", lock, project.ddl_lock_timeout)),
        float(_checked("statement_timeout", statement, project.statement_timeout)),
        int(_checked("ddl_retries", retries, project.ddl_retries, whole=True)),
        float(_checked("ddl_retry_backoff", backoff, project.ddl_retry_backoff)),
    )


@dataclass
class Writes:
    """Statements that changed something since the last version-table write (filled in while a run goes)."""

    since_version: int = 0


def _apply(conn: Connection, timeouts: DdlTimeouts) -> None:
    """Run the backend's SET statements on the driver connection and commit them (a rollback would undo them)."""
    record = conn.connection
    if record.info.get(_APPLIED) == timeouts or record.dbapi_connection is None:
        return
    statements = backend_of(conn).ddl_timeouts(timeouts.lock_seconds, timeouts.statement_seconds, conn.dialect)
    if statements:
        cursor = record.dbapi_connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()
        record.dbapi_connection.commit()
    record.info[_APPLIED] = timeouts


@dataclass
class _Limits:
    """MariaDB's sub-second lock waits: one watcher for the run, started with the first connection that needs it."""

    seconds: float
    stack: ExitStack
    limit: MetadataLockLimit | None = None

    def watch(self, conn: Connection) -> None:
        if not sub_second(self.seconds, bool(getattr(conn.dialect, "is_mariadb", False))):
            return
        pid = session_id(conn.connection.dbapi_connection)
        if pid is None:
            return
        if self.limit is None:
            self.limit = self.stack.enter_context(MetadataLockLimit(conn.engine.url, self.seconds))
        self.limit.watch(pid)


@contextmanager
def session_timeouts(timeouts: DdlTimeouts | None, shared: Connection | None, writes: Writes) -> Iterator[None]:
    """While active, every Engine connection (env.py's own, and `shared`) gets the DDL timeouts, and the
    statements that changed something since the last version write are counted in `writes`."""
    if timeouts is None:
        yield
        return
    stack = ExitStack()
    limits = _Limits(timeouts.lock_seconds, stack)

    def on_connect(conn: Connection) -> None:
        _apply(conn, timeouts)
        limits.watch(conn)

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if _VERSION.search(statement):
            writes.since_version = 0
        elif _WRITE.match(statement):
            writes.since_version += 1

    if shared is not None:
        on_connect(shared)
    event.listen(Engine, "engine_connect", on_connect)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        with stack:
            yield
    finally:
        event.remove(Engine, "engine_connect", on_connect)
        event.remove(Engine, "after_cursor_execute", after)


def lock_error(error: BaseException, backend: Backend) -> DBAPIError | None:
    """The driver error in `error`'s chain that says a lock wait gave up, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.orig is not None and backend.lock_timed_out(current.orig):
            return current
        current = current.__cause__ or current.__context__
    return None


def locked_table(error: DBAPIError) -> str:
    """The table the failed statement was on (what its lock was for), as the statement spells it."""
    found = _TABLE.search(error.statement or "")
    return found.group(1).strip('`"') if found else "a table"
