"""Run Alembic commands through the app's own env.py on the database the caller named, and prove it.

Most apps keep Alembic's stock env.py, which builds its engine from `sqlalchemy.url` and ignores
`config.attributes["connection"]`; others read `-x url=...` or an environment variable. The URL is handed
over every one of those ways, and a firewall on every SQLAlchemy Engine refuses any statement that
reaches another database, before it runs. Afterwards the database's version table says what moved.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from .config import project_of
from .connect import create_sync_engine, explain_connect_error, mask_url, parse_url, sqlite_path, sync_url
from .errors import EnvironmentMismatch, MigrationFailed
from .identity import Identity, identity_of, identity_of_dbapi
from .revisions import Step, between, expected_heads, resolve
from .settings import VERSION_TABLE
from .sources import describe

T = TypeVar("T")

SYNC_TO_ASYNC = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+psycopg_async",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
    "mariadb": "mariadb+aiomysql",
    "mariadb+pymysql": "mariadb+aiomysql",
}
_ASYNC_ENGINE_FACTORIES = frozenset({"async_engine_from_config", "create_async_engine"})
_TIMEOUT_PARAMETER = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout", "pymysql": "connect_timeout"}


def env_script(config: Config) -> Path:
    """The env.py Alembic will run for `config`."""
    return Path(ScriptDirectory.from_config(config).dir) / "env.py"


def env_is_async(config: Config) -> bool:
    """True when env.py builds an async engine itself, so the URL handed to it needs an async driver.

    Read from env.py's code: a call to async_engine_from_config() or create_async_engine() (an unused import
    does not count). This repository's own env.py takes sync and async URLs alike.
    """
    try:
        source = env_script(config).read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return False
    if "schema_tools.environment" in source:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _ASYNC_ENGINE_FACTORIES:
                return True
    return False


def url_for_env(url: URL, *, asynchronous: bool, timeout: float) -> URL:
    """`url` with the driver env.py needs (sync or async) and a connect timeout the driver understands."""
    if asynchronous:
        chosen = url if url.drivername not in SYNC_TO_ASYNC else url.set(drivername=SYNC_TO_ASYNC[url.drivername])
    else:
        chosen = sync_url(url)
    parameter = _TIMEOUT_PARAMETER.get(chosen.get_driver_name())
    if parameter and parameter not in chosen.query:
        chosen = chosen.update_query_dict({parameter: str(max(1, round(timeout)))})
    return chosen


@dataclass
class _Watch:
    """What the firewall saw during one run."""

    intended: Identity
    foreign: list[tuple[str, Identity]] = field(default_factory=list)
    created_files: list[Path] = field(default_factory=list)


def _foreign_message(watch: _Watch, config: Config) -> str:
    where, found = watch.foreign[0]
    project = project_of(config)
    return (
        f"env.py ({env_script(config)}) connected to {found} ({where}) instead of {watch.intended}, "
        "so schema-tools stopped it before its first statement there; nothing ran on either database. "
        "Make env.py take its URL from config.get_main_option('sqlalchemy.url') (or config.attributes"
        f"['connection']), or set url-env in [tool.schema-tools] to the variable it reads (now ${project.url_env})"
    )


VersionHook = Callable[[Connection], None]
WAIT_NOTICE_SECONDS = 5.0
_VERSION_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"]?alembic_version\b", re.IGNORECASE)


@contextmanager
def firewall(intended: Identity, on_version: VersionHook | None = None) -> Iterator[_Watch]:
    """While active, a statement on any Engine that reaches a database other than `intended` is refused.

    `on_version` runs on the migrating connection right after each write to the version table: inside the
    migration's own transaction, so it sees the schema exactly as that revision left it.
    """
    watch = _Watch(intended)

    def refuse_foreign(conn: Connection) -> None:
        record = conn.connection
        found = record.info.get("schema_tools.identity")
        if not isinstance(found, Identity):
            found = identity_of_dbapi(record.dbapi_connection, conn.dialect.name)
            record.info["schema_tools.identity"] = found
        if found == intended:
            return
        watch.foreign.append((mask_url(conn.engine.url), found))
        if found.backend == "sqlite" and found.database:
            watch.created_files.append(Path(found.database))
        raise EnvironmentMismatch(f"refused a statement on {found}: the command was run for {intended}")

    def check(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        refuse_foreign(conn)

    def on_connect(conn: Connection) -> None:
        """Refuse a foreign database as soon as env.py connects to it: an env.py that opens every engine
        before migrating (Alembic's multidb template) is stopped before it runs anything on any of them."""
        record = conn.connection
        asked = not isinstance(record.info.get("schema_tools.identity"), Identity)
        try:
            refuse_foreign(conn)
        except EnvironmentMismatch:
            conn.close()
            raise
        if asked and record.dbapi_connection is not None:  # the identity query opened a DBAPI transaction
            record.dbapi_connection.rollback()  # (psycopg): end it, so the connection is as new

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if on_version is not None and _VERSION_WRITE.match(statement):
            on_version(conn)

    event.listen(Engine, "engine_connect", on_connect)
    event.listen(Engine, "before_cursor_execute", check)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield watch
    finally:
        event.remove(Engine, "engine_connect", on_connect)
        event.remove(Engine, "before_cursor_execute", check)
        event.remove(Engine, "after_cursor_execute", after)


def _backend_pid(conn: Connection) -> int | None:
    """The PostgreSQL server process behind a psycopg connection (to ask what blocks it), else None."""
    if conn.dialect.name != "postgresql":
        return None
    info = getattr(conn.connection.dbapi_connection, "info", None)
    pid = getattr(info, "backend_pid", None)
    return pid if isinstance(pid, int) else None


_BLOCKERS = (
    "SELECT a.pid, a.state, left(a.query, 80), string_agg(DISTINCT l.relation::regclass::text, ', ') "
    "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.relation IS NOT NULL "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "WHERE a.pid = ANY(pg_blocking_pids(%(pid)s)) GROUP BY a.pid, a.state, a.query"
)


def _blocker(url: URL, pid: int) -> str:
    """Which sessions block PostgreSQL backend `pid`, and the tables they hold: what a migration waits for."""
    try:
        engine = create_sync_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.exec_driver_sql(_BLOCKERS, {"pid": pid}).all()
        finally:
            engine.dispose()
    except Exception:  # a best effort: the generic notice is still said
        return ""
    parts = [
        f"blocked by session {row[0]} ({row[1]}: {' '.join(str(row[2]).split())})"
        + (f", which holds {row[3]}" if row[3] else "")
        for row in rows
    ]
    return "; ".join(parts)


@contextmanager
def statement_watch(on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """While active, a statement (on any engine in this process) that runs longer than a few seconds is named
    once through `on_wait`: a wait on another session's lock says what it waits for instead of hanging mute."""
    if on_wait is None:
        yield
        return
    running: dict[int, tuple[float, str, Any, int | None]] = {}
    stop = threading.Event()

    def started(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        running[threading.get_ident()] = (time.monotonic(), statement, conn.engine.url, _backend_pid(conn))

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


def _remove_empty_files(paths: list[Path], started: float) -> None:
    """A stock env.py pointed at a missing SQLite file creates it on connect; remove it if it holds nothing."""
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        if stat.st_size == 0 and stat.st_mtime >= started - 1:
            path.unlink(missing_ok=True)


@contextmanager
def _handed_over(config: Config, url: URL, connection: Connection | None) -> Iterator[None]:
    """Give env.py the URL every way env.py files read it, and take it all back afterwards."""
    project = project_of(config)
    asynchronous = env_is_async(config)
    handed = url_for_env(url, asynchronous=asynchronous, timeout=project.connect_timeout)
    rendered = handed.render_as_string(hide_password=False)
    parser = config.file_config
    section = config.config_ini_section
    had_url = parser.has_option(section, "sqlalchemy.url")
    old_url = parser.get(section, "sqlalchemy.url", raw=True) if had_url else None
    if config.cmd_opts is None:
        import argparse

        config.cmd_opts = argparse.Namespace(x=[])
    old_x = list(getattr(config.cmd_opts, "x", None) or [])
    old_attributes = {key: config.attributes.get(key) for key in ("connection", "url")}
    old_env = os.environ.get(project.url_env)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.cmd_opts.x = [item for item in old_x if not item.startswith("url=")] + [f"url={rendered}"]
    config.attributes["url"] = rendered
    if connection is not None:
        config.attributes["connection"] = connection
    else:
        config.attributes.pop("connection", None)
    os.environ[project.url_env] = rendered
    try:
        yield
    finally:
        if had_url and old_url is not None:
            parser.set(section, "sqlalchemy.url", old_url)
        else:
            parser.remove_option(section, "sqlalchemy.url")
        config.cmd_opts.x = old_x
        for key, value in old_attributes.items():
            if value is None:
                config.attributes.pop(key, None)
            else:
                config.attributes[key] = value
        if old_env is None:
            os.environ.pop(project.url_env, None)
        else:
            os.environ[project.url_env] = old_env


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


def current_heads(connection: Connection) -> tuple[str, ...]:
    """The revisions in the database's version table (empty: base or never stamped)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(sorted(context.get_current_heads()))


@contextmanager
def opened(url: str | URL, *, create: bool = True) -> Iterator[Connection]:
    """A plain connection of ours to `url` (sync driver, connect timeouts), for reading versions and identity."""
    parsed = sync_url(parse_url(url))
    path = sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
    if path is not None and not create and not path.is_file():
        from .errors import DatabaseNotFound

        raise DatabaseNotFound(f"SQLite database file not found: {path}: check the URL")
    if path is not None and create and not path.parent.is_dir():
        from .errors import DatabaseNotFound

        raise DatabaseNotFound(f"the folder of the SQLite database does not exist: {path.parent}: check the URL")
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
) -> T:
    """Run `action(config)` (an alembic.command call) through the app's env.py on `url`, and only there.

    The URL goes to env.py as sqlalchemy.url, -x url, the app's URL environment variable and (for
    env.py files that honour it) config.attributes["connection"]. A statement on any other database
    is refused before it runs, and the whole command then fails with one line naming env.py.
    """
    parsed = parse_url(url)
    with opened(parsed) as connection:
        intended = identity_of(connection)
        if connection.in_transaction():
            connection.commit()
        started = time.time()
        shared = connection if share_connection else None
        with statement_watch(on_wait), firewall(intended, on_version) as watch, _handed_over(config, parsed, shared):
            try:
                result = off_the_running_loop(lambda: action(config))
                if connection.in_transaction():
                    connection.commit()
            except BaseException:
                if connection.in_transaction():
                    connection.rollback()
                if watch.foreign:
                    _remove_empty_files(watch.created_files, started)
                    raise EnvironmentMismatch(_foreign_message(watch, config)) from None
                raise
        if watch.foreign:
            _remove_empty_files(watch.created_files, started)
            raise EnvironmentMismatch(_foreign_message(watch, config))
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

    run_alembic(config, url, action, on_version=on_version, on_wait=on_wait)
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
    """False only for a SQLite file that is not there yet (an upgrade creates it)."""
    parsed = sync_url(parse_url(url))
    path = sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
    return path is None or path.is_file()


def say(message: str) -> None:
    """A progress line for the person waiting (stderr, so piped results stay clean)."""
    print(f"schema-tools: {message}", file=sys.stderr, flush=True)
