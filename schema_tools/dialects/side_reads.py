"""Catalog statements answered on a second connection to the same database while the first connection works."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor

# How long the first connection waits for the second's rows before running the statement itself: the second
# connection only saves time, so one that is slow to open must not cost any.
WAIT_SECONDS = 30.0

Identify = Callable[[DBAPICursor], object]


class SideReads:
    """Statements run in a background thread on a second connection, opened with the engine's own settings.

    The server answers them while this process decodes the first connection's rows: reading MariaDB's catalog
    is half server time. Rows are used only from a connection whose identity (database, host, port, data
    directory) equals the first one's; a second connection that cannot be opened, reaches another database or
    fails leaves each statement to run on the first connection, as it would without this, and so does an async
    driver's engine.
    """

    def __init__(self, connection: Connection, statements: Sequence[str], identify: Identify) -> None:
        self._connection = connection
        self._rows: dict[str, list[Any]] | None = None
        self._done = threading.Event()
        if connection.dialect.is_async:  # its pool connects on the event loop, which another thread cannot drive
            self._done.set()
            return
        cursor = _cursor(connection)
        try:
            expected = identify(cursor)
        finally:
            cursor.close()
        # A daemon thread: one stuck opening its connection must not hold the process at exit.
        thread = threading.Thread(
            target=self._read, args=(tuple(statements), identify, expected), name="schema-tools-side-reads", daemon=True
        )
        thread.start()

    def _read(self, statements: tuple[str, ...], identify: Identify, expected: object) -> None:
        try:
            pool = self._connection.engine.pool.recreate()
            try:
                fairy = pool.connect()
                try:
                    cursor = fairy.cursor()
                    if identify(cursor) != expected:
                        return
                    rows = {}
                    for statement in statements:
                        cursor.execute(statement)
                        rows[statement] = list(cursor.fetchall())
                    self._rows = rows
                finally:
                    fairy.close()
            finally:
                pool.dispose()
        except Exception:  # the first connection runs the statements instead
            self._rows = None
        finally:
            self._done.set()

    def rows(self, statement: str) -> Iterable[Any]:
        """The statement's rows: from the second connection when it read them, else run on the first."""
        if self._done.wait(WAIT_SECONDS) and self._rows is not None and statement in self._rows:
            return self._rows[statement]
        return self._connection.exec_driver_sql(statement)


def _cursor(connection: Connection) -> DBAPICursor:
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None  # a Connection in use holds its DBAPI connection
    return dbapi_connection.cursor()
