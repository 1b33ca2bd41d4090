"""MySQL/MariaDB DDL timeouts: metadata and row lock waits, MariaDB's max_statement_time, errors 1205 and 1213."""

from __future__ import annotations

import math

# ER_LOCK_WAIT_TIMEOUT (metadata or row lock wait gave up), ER_LOCK_DEADLOCK, and ER_QUERY_INTERRUPTED (KILL
# QUERY: how mysql_lock_limit ends a MariaDB wait at a fraction of a second): the statement did nothing.
LOCK_ERRORS = frozenset({1205, 1213, 1317})


def lock_wait_seconds(seconds: float) -> int:
    """lock_wait_timeout and innodb_lock_wait_timeout take whole seconds (MySQL: at least 1; MariaDB truncates
    `WAIT 0.2` to no wait at all), so a fraction rounds up here: a sub-second limit is mysql_lock_limit's job."""
    return max(1, math.ceil(seconds))


def ddl_timeouts(lock_seconds: float, statement_seconds: float, mariadb: bool) -> list[str]:
    """SET SESSION statements (0: the server's own setting is kept); only MariaDB limits any statement's time."""
    statements = []
    if lock_seconds > 0:
        wait = lock_wait_seconds(lock_seconds)
        statements += [f"SET SESSION lock_wait_timeout = {wait}", f"SET SESSION innodb_lock_wait_timeout = {wait}"]
    if statement_seconds > 0 and mariadb:
        statements.append(f"SET SESSION max_statement_time = {statement_seconds:g}")
    return statements


def lock_timed_out(error: BaseException) -> bool:
    """PyMySQL (and aiomysql) put the server's error number first in args."""
    args: tuple[object, ...] = tuple(getattr(error, "args", ()))
    return len(args) > 0 and args[0] in LOCK_ERRORS


def holders_hint(table: str) -> str:
    """Where to look for the session holding `table`: open transactions that touched it."""
    return (
        "SHOW PROCESSLIST (a session in 'Sleep' with an open transaction) or "
        "SELECT * FROM information_schema.INNODB_TRX"
    )
