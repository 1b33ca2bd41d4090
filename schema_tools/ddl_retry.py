"""Retry a migration whose lock wait gave up, when the failed revision left nothing behind; else say what to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import URL

from .connect import create_sync_engine
from .ddl_timeouts import DdlTimeouts, Writes, lock_error, locked_table
from .dialects import Backend

Progress = Callable[[str], None]


@dataclass
class LockRetries:
    """One guarded run's lock-wait retries (counted while it runs, so not frozen)."""

    timeouts: DdlTimeouts
    backend: Backend
    url: URL
    progress: Progress | None = None
    attempts: int = 0

    def run(self, attempt: Callable[[Writes], object]) -> object:
        """Call `attempt` until it succeeds, retrying a lock-wait failure that applied nothing, with backoff."""
        while True:
            writes = Writes()
            self.attempts += 1
            try:
                return attempt(writes)
            except Exception as error:
                found = lock_error(error, self.backend)
                nothing_left = self.backend.transactional_ddl or writes.since_version == 0
                if found is None or not nothing_left or self.attempts > self.timeouts.retries:
                    raise
                delay = self.timeouts.delay(self.attempts)
                if self.progress is not None:
                    self.progress(
                        f"the lock wait on {locked_table(found)} gave up after {self.timeouts.lock_seconds:g}s "
                        f"(another session holds it); retrying in {delay:g}s "
                        f"({self.attempts} of {self.timeouts.retries})"
                    )
                time.sleep(delay)

    def reason(self, error: BaseException) -> tuple[str, str] | None:
        """(why, what to do) for a failure that was a lock wait giving up; None for any other failure."""
        found = lock_error(error, self.backend)
        if found is None:
            return None
        table = locked_table(found)
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        why = (
            f"it waited {self.timeouts.lock_seconds:g}s for a lock on {table} and gave up ({tries}, "
            "so later queries were not queued behind it)"
        )
        holders = self._holders(table)
        found_by = f"now held by {holders}" if holders else self.backend.lock_holders_hint(table)
        todo = (
            f"another session holds a lock on {table}: find that transaction ({found_by}), end it or wait for it, "
            "then rerun (or raise ddl-lock-timeout / ddl-retries)"
        )
        return why, todo

    def _holders(self, table: str) -> str:
        """Who holds the table's lock, asked on a connection of our own; a best effort (empty when unknown)."""
        try:
            engine = create_sync_engine(self.url)
            try:
                with engine.connect() as connection:
                    return self.backend.lock_holders(connection, table)
            finally:
                engine.dispose()
        except Exception:
            return ""
