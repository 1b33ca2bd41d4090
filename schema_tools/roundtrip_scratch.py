"""The scratch database the roundtrip lab climbs, made again whenever a failure left it in an unknown state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .connect import create_sync_engine, parse_url, sync_url
from .dialects import SCRATCH
from .errors import ConfigurationError, ConnectionFailed, MigrationFailed
from .revisions import ancestors, parents
from .runner import migrate, read_heads, run_alembic
from .scratch import prepare, scratch_database
from .seeding import describe_error

__all__ = ["ENVIRONMENT_ERRORS", "Scratch", "attempt"]

# Errors that say the environment, not a revision, is wrong: every step would fail alike, so they are raised.
ENVIRONMENT_ERRORS = (ConfigurationError, ConnectionFailed)


class Scratch:
    """The scratch database the stairway climbs; made again whenever a failure left it in an unknown state."""

    def __init__(self, config: Config, like: str | URL | None, scripts: ScriptDirectory) -> None:
        self.config = config
        self.like = like
        self.scripts = scripts
        # The dialect name as the URL gives it (mariadb stays mariadb), for the report and for reading revisions.
        self.backend = sync_url(parse_url(like)).get_backend_name() if like is not None else SCRATCH.name
        self._stack = ExitStack()
        self.url: URL | None = None
        self.engine: sa.Engine | None = None
        self.heads: tuple[str, ...] | None = None  # None: unknown, the database must be made again

    def fresh(self) -> None:
        """A new, empty scratch database (the last one dropped), after the app's scratch-setup."""
        self.close()
        self._stack = ExitStack()
        self.url = self._stack.enter_context(scratch_database(self.like))
        self.engine = create_sync_engine(self.url)
        self._stack.callback(self.engine.dispose)
        prepare(self.config, self.url)  # the app's scratch-setup, for histories that start on its own tables
        self.heads = ()

    def close(self) -> None:
        """Drop the scratch database; its state is unknown until the next fresh()."""
        self._stack.close()
        self.url = self.engine = None
        self.heads = None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection that leaves nothing behind: whatever it started is rolled back."""
        assert self.engine is not None
        with self.engine.connect() as connection:
            try:
                yield connection
            finally:
                if connection.in_transaction():
                    connection.rollback()

    def migrate(self, direction: str, target: str) -> None:
        """Upgrade or downgrade through the app's env.py; the heads are unknown if it fails."""
        assert self.url is not None
        self.heads = None
        migrate(self.config, self.url, direction, target)
        self.heads = read_heads(self.url)

    def downgrade_one(self, script: Script) -> None:
        """Undo `script` only: to its parent, or for a merge to all its parents (what Alembic's downgrade to
        one parent of a merge does, though runner.migrate expects that parent alone)."""
        assert self.url is not None
        below = parents(script)
        if len(below) <= 1:
            self.migrate("downgrade", below[0] if below else "base")
            return
        self.heads = None
        run_alembic(self.config, self.url, lambda cfg: command.downgrade(cfg, below[0]))
        self.heads = read_heads(self.url)
        if set(self.heads) != set(below):
            raise MigrationFailed(f"the downgrade left the database at {', '.join(self.heads) or 'base'}")

    def reach(self, wanted: tuple[str, ...]) -> str | None:
        """Bring the database to exactly `wanted`; None when there, else why a fresh database cannot get there."""
        if self.heads is not None and set(self.heads) == set(wanted):
            return None
        if self.heads is not None and set(self.heads) <= ancestors(self.scripts, wanted) and self._climbs(wanted):
            return None
        return self._from_fresh(wanted)

    def _climbs(self, wanted: tuple[str, ...]) -> bool:
        """Upgrade from the current heads, which are below `wanted`; True when that got there."""
        try:
            for revision in wanted:
                if self.heads is None or revision not in self.heads:
                    self.migrate("upgrade", revision)
        except ENVIRONMENT_ERRORS:
            raise
        except Exception:  # a fresh database is tried next, and its failure is the one reported
            return False
        return self.heads is not None and set(self.heads) == set(wanted)

    def _from_fresh(self, wanted: tuple[str, ...]) -> str | None:
        """Upgrade a fresh database to `wanted`; None when there, else why not."""
        self.fresh()
        for revision in wanted:
            error = attempt(partial(self.migrate, "upgrade", revision))
            if error is not None:
                self.heads = None
                return f"a fresh database cannot be upgraded to {revision}: {describe_error(error)}"
        return None


def attempt(action: Callable[[], object]) -> Exception | None:
    """Run `action`; the error a revision caused, or None. Environment errors are raised: every step would fail."""
    try:
        action()
    except ENVIRONMENT_ERRORS:
        raise
    except Exception as error:
        return error
    return None
