"""Name a statement that runs for more than a few seconds, and what it waits for, instead of hanging mute."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from .connect import create_sync_engine
from .dialects import backend_of

WAIT_NOTICE_SECONDS = 5.0


def _server_pid(conn: Connection) -> int | None:
    """The server process behind `conn` (to ask what blocks it), when its backend can tell."""
    return backend_of(conn).server_pid(conn.connection.dbapi_connection)


def _blocker(url: URL, pid: int) -> str:
    """Which sessions block server process `pid`, asked on a connection of our own: what a migration waits for."""
    try:
        engine = create_sync_engine(url)
        try:
            with engine.connect() as connection:
                return backend_of(connection).blocked_by(connection, pid)
        finally:
            engine.dispose()
    except Exception:  # a best effort: the generic notice is still said
        return ""


@contextmanager
def statement_watch(on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """While active, a statement (on any engine in this process) that runs longer than a few seconds is named
    once through `on_wait`: a wait on another session's lock says what it waits for instead of hanging mute."""
    if on_wait is None:
        yield
        return
    running: dict[int, tuple[float, str, URL, int | None]] = {}
    stop = threading.Event()

    def started(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        running[threading.get_ident()] = (time.monotonic(), statement, conn.engine.url, _server_pid(conn))

    def finished(*_: Any) -> None:
        running.pop(threading.get_ident(), None)

    def watchdog() -> None:
        said: set[tuple[float, str]] = set()
        while not stop.wait(0.5):
            for begun, statement, url, pid in list(running.values()):
                waited = time.monotonic() - begun
                if waited >= WAIT_NOTICE_SECONDS and (begun, statement) not in said:
                    said.add((begun, statement))
                    shown = " ".join(statement.split())[:80]
                    blocker = _blocker(url, pid) if pid is not None else ""
                    why = blocker or "waiting for a lock another session holds, or a long rewrite"
                    on_wait(f"still running after {waited:.0f}s: {shown} ({why}; Ctrl-C stops it)")

    event.listen(Engine, "before_cursor_execute", started)
    event.listen(Engine, "after_cursor_execute", finished)
    event.listen(Engine, "handle_error", finished)
    thread = threading.Thread(target=watchdog, name="schema-tools-watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        event.remove(Engine, "before_cursor_execute", started)
        event.remove(Engine, "after_cursor_execute", finished)
        event.remove(Engine, "handle_error", finished)
