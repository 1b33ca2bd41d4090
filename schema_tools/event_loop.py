"""Run blocking work that may call asyncio.run() from any thread, including one that runs an event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def off_the_running_loop(action: Callable[[], T]) -> T:
    """Run `action` here, or on a worker thread when this thread runs an event loop (Jupyter): an async
    env.py calls asyncio.run(), which refuses to start inside a running loop."""
    if not _in_running_loop():
        return action()
    result: list[T] = []
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            result.append(action())
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=worker, name="schema-tools-alembic")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
