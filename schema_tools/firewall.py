"""A firewall on every SQLAlchemy Engine: a statement that reaches another database is refused before it runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .config import project_of
from .connect import mask_url
from .dialects import backend_of
from .errors import EnvironmentMismatch
from .handoff import env_script
from .identity import Identity, identity_of_dbapi

VersionHook = Callable[[Connection], None]
_VERSION_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"]?alembic_version\b", re.IGNORECASE)
_IDENTITY = "schema_tools.identity"


@dataclass
class Watch:
    """What the firewall saw during one run (filled in while it runs, so not frozen)."""

    intended: Identity
    foreign: list[tuple[str, Identity]] = field(default_factory=list)
    created_files: list[Path] = field(default_factory=list)


def foreign_message(watch: Watch, config: Config) -> str:
    """One line naming env.py, the database it reached instead, and how to point it at the intended one."""
    where, found = watch.foreign[0]
    project = project_of(config)
    return (
        f"env.py ({env_script(config)}) connected to {found} ({where}) instead of {watch.intended}, "
        "so schema-tools stopped it before its first statement there; nothing ran on either database. "
        "Make env.py take its URL from config.get_main_option('sqlalchemy.url') (or config.attributes"
        f"['connection']), or set url-env in [tool.schema-tools] to the variable it reads (now ${project.url_env})"
    )


def remove_empty_files(paths: list[Path], started: float) -> None:
    """A stock env.py pointed at a missing database file creates it on connect; remove it if it holds nothing."""
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        if stat.st_size == 0 and stat.st_mtime >= started - 1:
            path.unlink(missing_ok=True)


def _refuser(watch: Watch) -> Callable[[Connection], None]:
    """What checks one connection: its identity (asked once per DBAPI connection) must be the intended one."""

    def refuse_foreign(conn: Connection) -> None:
        record = conn.connection
        found = record.info.get(_IDENTITY)
        if not isinstance(found, Identity):
            assert record.dbapi_connection is not None  # a statement or a connect event: the connection is open
            found = identity_of_dbapi(record.dbapi_connection, conn.dialect.name)
            record.info[_IDENTITY] = found
        if found == watch.intended:
            return
        watch.foreign.append((mask_url(conn.engine.url), found))
        if backend_of(found.backend).file_based and found.database:
            watch.created_files.append(Path(found.database))
        raise EnvironmentMismatch(f"refused a statement on {found}: the command was run for {watch.intended}")

    return refuse_foreign


@contextmanager
def firewall(intended: Identity, on_version: VersionHook | None = None) -> Iterator[Watch]:
    """While active, a statement on any Engine that reaches a database other than `intended` is refused.

    `on_version` runs on the migrating connection right after each write to the version table: inside the
    migration's own transaction, so it sees the schema exactly as that revision left it.
    """
    watch = Watch(intended)
    refuse_foreign = _refuser(watch)

    def check(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        refuse_foreign(conn)

    def on_connect(conn: Connection) -> None:
        """Refuse a foreign database as soon as env.py connects to it: an env.py that opens every engine
        before migrating (Alembic's multidb template) is stopped before it runs anything on any of them."""
        record = conn.connection
        asked = not isinstance(record.info.get(_IDENTITY), Identity)
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
