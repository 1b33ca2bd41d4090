"""MariaDB's sub-second lock timeout: a statement waiting for a metadata lock longer than that is cancelled."""

from __future__ import annotations

import threading
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

# MariaDB counts lock waits in whole seconds: `WAIT 0.2` is truncated to WAIT 0 (no wait: measured on 10.11,
# it fails in ~2 ms) and `lock_wait_timeout = 0.5` is refused. No wait at all (0, NOWAIT) cannot build an
# online index under steady writes (each attempt meets a writer's statement: 0 of 20 succeeded), so a fraction
# of a second is kept by a watcher instead: on a connection of its own it reads the processlist (TIME_MS:
# milliseconds in the current state, MariaDB's) and KILL QUERYs a watched statement that has waited longer;
# the statement fails with error 1317 and did nothing. MySQL has no TIME_MS: it keeps whole seconds.
_WAITING = (
    "SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN ({ids}) "
    "AND STATE = 'Waiting for table metadata lock' AND TIME_MS > {milliseconds}"
)
POLL_SECONDS = 0.02


def sub_second(seconds: float, mariadb: bool) -> bool:
    """Does a lock timeout of `seconds` need the watcher (MariaDB, and not a whole number of seconds)?"""
    return mariadb and seconds > 0 and seconds != int(seconds)


class MetadataLockLimit:
    """Cancels a watched session's statement once it has waited `seconds` for a metadata lock (a context manager:
    the watcher runs while it is open)."""

    def __init__(self, url: URL, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.pids: set[int] = set()
        self.cancelled = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="schema-tools lock limit", daemon=True)

    def watch(self, pid: int) -> None:
        """Bound the metadata lock waits of server session `pid` (CONNECTION_ID())."""
        with self._lock:
            self.pids.add(int(pid))

    def __enter__(self) -> MetadataLockLimit:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        """Poll on a driver connection of its own (no SQLAlchemy Connection: no engine events fire for it)."""
        engine = sa.create_engine(self.url, poolclass=NullPool)
        connection = engine.raw_connection()
        try:
            connection.autocommit(True)  # PyMySQL: read the processlist as it is now
            cursor = connection.cursor()
            while not self._stop.wait(POLL_SECONDS):
                with self._lock:
                    ids = ", ".join(str(pid) for pid in sorted(self.pids))
                if not ids:
                    continue
                cursor.execute(_WAITING.format(ids=ids, milliseconds=int(self.seconds * 1000)))
                for (pid,) in cursor.fetchall():
                    cursor.execute(f"KILL QUERY {int(pid)}")
                    self.cancelled += 1
        finally:
            connection.close()
            engine.dispose()


def session_id(dbapi_connection: object) -> int | None:
    """The server session of a PyMySQL connection, without a query (it is in the server's greeting)."""
    thread_id = getattr(dbapi_connection, "thread_id", None)
    return int(thread_id()) if callable(thread_id) else None
