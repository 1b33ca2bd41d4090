"""Run Alembic commands through the app's own env.py on the database the caller named, and prove it.

The URL is handed to env.py every way env.py files read one (handoff.py), a firewall on every SQLAlchemy
Engine refuses any statement that reaches another database before it runs (firewall.py), and afterwards
the database's version table says what moved.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .connect import create_sync_engine, explain_connect_error, parse_url, sqlite_path, sync_url
from .ddl_timeouts import DdlTimeouts, Writes, session_timeouts
from .dialects import backend_of
from .errors import DatabaseNotFound, EnvironmentMismatch, MigrationFailed
from .event_loop import off_the_running_loop
from .firewall import VersionHook, firewall, foreign_message, remove_empty_files
from .handoff import env_is_async, env_script, handed_over, url_for_env
from .identity import identity_of
from .labels import describe
from .revisions import Step, between, expected_heads, resolve
from .settings import VERSION_TABLE
from .watchdog import WAIT_NOTICE_SECONDS, statement_watch

__all__ = [
    "WAIT_NOTICE_SECONDS",
    "Movement",
    "VersionHook",
    "current_heads",
    "env_is_async",
    "env_script",
    "firewall",
    "migrate",
    "moved",
    "off_the_running_loop",
    "opened",
    "read_heads",
    "run_alembic",
    "say",
    "statement_watch",
    "url_for_env",
]

T = TypeVar("T")


def current_heads(connection: Connection) -> tuple[str, ...]:
    """The revisions in the database's version table (empty: base or never stamped)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(sorted(context.get_current_heads()))


@contextmanager
def opened(url: str | URL, *, create: bool = True) -> Iterator[Connection]:
    """A plain connection of ours to `url` (sync driver, connect timeouts), for reading versions and identity."""
    parsed = sync_url(parse_url(url))
    backend = backend_of(parsed)
    path = sqlite_path(parsed) if backend.file_based else None
    if path is not None and not create and not path.is_file():
        raise DatabaseNotFound(f"{backend.label} database file not found: {path}: check the URL")
    if path is not None and create and not path.parent.is_dir():
        raise DatabaseNotFound(
            f"the folder of the {backend.label} database does not exist: {path.parent}: check the URL"
        )
    engine = create_sync_engine(parsed)
    try:
        try:
            connection = engine.connect()
        except Exception as error:
            if hasattr(error, "orig") or isinstance(error, OSError):
                raise explain_connect_error(error, parsed) from None
            raise
        try:
            yield connection
        finally:
            connection.close()
    finally:
        engine.dispose()


def run_alembic(
    config: Config,
    url: str | URL,
    action: Callable[[Config], T],
    *,
    share_connection: bool = True,
    on_version: VersionHook | None = None,
    on_wait: Callable[[str], None] | None = None,
    timeouts: DdlTimeouts | None = None,
    writes: Writes | None = None,
) -> T:
    """Run `action(config)` (an alembic.command call) through the app's env.py on `url`, and only there.

    The URL goes to env.py as sqlalchemy.url, -x url, the app's URL environment variable and (for
    env.py files that honour it) config.attributes["connection"]. A statement on any other database
    is refused before it runs, and the whole command then fails with one line naming env.py. With
    `timeouts`, every connection gets the DDL timeouts, and `writes` counts what changed since a version write.
    """
    parsed = parse_url(url)
    with opened(parsed) as connection:
        intended = identity_of(connection)
        if connection.in_transaction():
            connection.commit()
        started = time.time()
        shared = connection if share_connection else None
        with (
            statement_watch(on_wait),
            firewall(intended, on_version) as watch,
            session_timeouts(timeouts, shared, writes if writes is not None else Writes()),
            handed_over(config, parsed, shared),
        ):
            try:
                result = off_the_running_loop(lambda: action(config))
                if connection.in_transaction():
                    connection.commit()
            except BaseException:
                if connection.in_transaction():
                    connection.rollback()
                if watch.foreign:
                    remove_empty_files(watch.created_files, started)
                    raise EnvironmentMismatch(foreign_message(watch, config)) from None
                raise
        if watch.foreign:
            remove_empty_files(watch.created_files, started)
            raise EnvironmentMismatch(foreign_message(watch, config))
        return result


@dataclass(frozen=True)
class Movement:
    """What one upgrade or downgrade did to the database, read from its version table before and after."""

    direction: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    steps: tuple[Step, ...]


def read_heads(url: str | URL) -> tuple[str, ...]:
    """The database's current revisions, read on a fresh connection (what another process would see)."""
    with opened(url, create=False) as connection:
        heads = current_heads(connection)
        if connection.in_transaction():
            connection.rollback()
        return heads


def migrate(
    config: Config,
    url: str | URL,
    direction: str,
    target: str,
    *,
    on_version: VersionHook | None = None,
    on_wait: Callable[[str], None] | None = None,
    timeouts: DdlTimeouts | None = None,
    writes: Writes | None = None,
) -> Movement:
    """Upgrade or downgrade `url` to `target` through env.py in one Alembic run (as `alembic upgrade` does),
    then check that the version table moved as planned."""
    scripts = ScriptDirectory.from_config(config)
    before = read_heads(url) if _exists(url) else ()
    targets = resolve(scripts, before, target, direction)
    expected = expected_heads(scripts, before, targets, direction)

    def action(cfg: Config) -> None:
        if direction == "upgrade":
            for revision in targets:
                command.upgrade(cfg, revision)
        else:
            command.downgrade(cfg, targets[0] if targets else "base")

    run_alembic(config, url, action, on_version=on_version, on_wait=on_wait, timeouts=timeouts, writes=writes)
    after = read_heads(url)
    if set(after) != set(expected):
        raise MigrationFailed(
            f"env.py ({env_script(config)}) ran, but {describe(url)} is at {', '.join(after) or 'base'}, "
            f"not {', '.join(expected) or 'base'} as planned: check that env.py migrates the URL it is given"
        )
    return Movement(direction, before, after, tuple(moved(scripts, before, after, direction)))


def moved(scripts: ScriptDirectory, before: tuple[str, ...], after: tuple[str, ...], direction: str) -> list[Step]:
    """The revisions between two version-table states, in the order they ran."""
    if direction == "upgrade":
        return between(scripts, before, after)
    return list(reversed(between(scripts, after, before)))


def _exists(url: str | URL) -> bool:
    """False only for a database file that is not there yet (an upgrade creates it)."""
    parsed = sync_url(parse_url(url))
    path = sqlite_path(parsed) if backend_of(parsed).file_based else None
    return path is None or path.is_file()


def say(message: str) -> None:
    """A progress line for the person waiting (stderr, so piped results stay clean)."""
    print(f"schema-tools: {message}", file=sys.stderr, flush=True)
