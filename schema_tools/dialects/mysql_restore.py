"""MySQL/MariaDB restore: load the dump into a scratch database, then swap the tables in with one RENAME TABLE."""

from __future__ import annotations

import functools
import subprocess
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from ..backup_format import Job
from ..backup_manifest import read_manifest
from ..errors import BackupError
from ..secrets import mask_text
from ..tools import LOCK_TIMEOUT_ENV, Client

# Runs one statement through the DBAPI cursor and returns its rows.
Run = Callable[..., list[Any]]

# The objects RENAME TABLE cannot carry into another database, and how to list them.
_UNMOVABLE = (
    ("view", "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s"),
    ("trigger", "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"),
    ("routine", "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"),
    ("event", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s"),
)


def restore_by_rename(job: Job, path: Path, client: Client, client_args: list[str]) -> None:
    """Load into a scratch database, check it, then swap every table in with one atomic RENAME TABLE."""
    database = job.url.database
    if not database:
        raise BackupError(f"the URL {job.label} names no database to restore into: add /DBNAME to it")
    tag = uuid.uuid4().hex[:12]
    scratch, trash = f"st_restore_{tag}", f"st_restore_{tag}_old"
    with job.connect(autocommit=True) as connection:
        run = _runner(connection, job)
        run(f"SET SESSION lock_wait_timeout = {job.timeouts.lock_seconds}")
        _refuse_unmovable_objects(run, database, f"the target database {database!r}")
        charset, collation = run(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME = %s",
            (database,),
        )[0]
        try:
            run(f"CREATE DATABASE {quote(scratch)} CHARACTER SET {charset} COLLATE {collation}")
            _load(job, path, client, client_args, scratch)
            _refuse_unmovable_objects(run, scratch, f"the backup {path.name}")
            incoming = _tables(run, scratch)
            _check_against_manifest(path, incoming)
            outgoing = _tables(run, database)
            run(f"CREATE DATABASE {quote(trash)}")
            moves = [f"{quote(database)}.{quote(t)} TO {quote(trash)}.{quote(t)}" for t in outgoing]
            moves += [f"{quote(scratch)}.{quote(t)} TO {quote(database)}.{quote(t)}" for t in incoming]
            if moves:
                run("RENAME TABLE " + ", ".join(moves), waiting_for=f"a metadata lock on the tables of {database!r}")
        finally:
            for leftover in (trash, scratch):
                with suppress(Exception):
                    run(f"DROP DATABASE IF EXISTS {quote(leftover)}")


def _load(job: Job, path: Path, client: Client, client_args: list[str], scratch: str) -> None:
    """The dump through the mysql client into the scratch database (sandboxed where the client can)."""
    mysql = job.tools["mysql"]
    argv = [
        mysql, *client_args, f"--connect-timeout={job.timeouts.connect_seconds}", "--default-character-set=utf8mb4",
        *(["--sandbox"] if _has_sandbox(mysql) else []), "--batch", scratch,
    ]  # fmt: skip
    with open(path, "rb") as dump:
        doing = f"loading {path.name} into a scratch database (the target was not touched)"
        client.run(argv, job.url, job.timeouts, doing, stdin=dump)


def _check_against_manifest(path: Path, incoming: list[str]) -> None:
    """The scratch database holds every table the manifest lists, or the dump is incomplete."""
    manifest = read_manifest(path)
    if manifest is not None and sorted(name for name, _ in manifest.tables) != incoming:
        missing = sorted({name for name, _ in manifest.tables} - set(incoming))
        raise BackupError(
            f"{path.name} loaded {len(incoming)} tables but its manifest lists {len(manifest.tables)}"
            f"{' (missing: ' + ', '.join(missing[:5]) + ')' if missing else ''}: the dump is incomplete; "
            "restore from another backup (the target was not touched)"
        )


@functools.cache
def _has_sandbox(mysql: str) -> bool:
    """MariaDB clients since 10.5.25/10.6.18/10.11.8 can refuse a dump's shell and file commands (--sandbox)."""
    try:
        shown = subprocess.run([mysql, "--help"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--sandbox" in shown


def _refuse_unmovable_objects(run: Run, database: str, what: str) -> None:
    """RENAME TABLE cannot carry views, triggers or routines into another database: refuse before any change."""
    found: list[str] = []
    for kind, query in _UNMOVABLE:
        found += [f"{kind} {row[0]}" for row in run(query, (database,))]
    if found:
        raise BackupError(
            f"{what} has {', '.join(sorted(found)[:5])}{' ...' if len(found) > 5 else ''}, which an atomic restore "
            "(RENAME TABLE) cannot move: restore it by hand with the mysql client; nothing was changed"
        )


def _tables(run: Run, database: str) -> list[str]:
    rows = run(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_TYPE <> 'VIEW'",
        (database,),
    )
    return sorted(str(row[0]) for row in rows)


def _runner(connection: Connection, job: Job) -> Run:
    """Run SQL through the DBAPI cursor: no parameters means pymysql does no %-formatting of names like `a%(b)s`."""
    dbapi_error = connection.dialect.loaded_dbapi.Error
    url = job.url

    def run(statement: str, parameters: tuple[Any, ...] | None = None, *, waiting_for: str = "") -> list[Any]:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []
        except dbapi_error as error:
            code = error.args[0] if error.args else None
            if code in (1205, 3024) or "lock wait timeout" in str(error).lower():
                raise BackupError(
                    f"restore of {job.label} waited {job.timeouts.lock_seconds}s ({LOCK_TIMEOUT_ENV}) for "
                    f"{waiting_for or 'a lock'}, held by {_lock_holders(connection, url.database)}: end that "
                    "transaction and retry; nothing was changed"
                ) from None
            if code in (1044, 1045, 1142, 1227):
                raise BackupError(
                    f"restore needs privileges it lacks on {job.label} ({mask_text(str(error.args[-1]), url)}): "
                    "it loads the backup into a scratch database first, so grant CREATE, DROP and ALTER; "
                    "nothing was changed"
                ) from None
            raise BackupError(f"restore failed: {mask_text(str(error), url)}; nothing was changed") from None
        finally:
            cursor.close()

    return run


def _lock_holders(connection: Connection, database: str | None) -> str:
    try:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(
                "SELECT ID, COMMAND, TIME FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()",
                (database,),
            )
            sessions = [f"session {row[0]} ({row[1]} for {row[2]}s)" for row in cursor.fetchall()]
        finally:
            cursor.close()
    except Exception:
        sessions = []
    return ", ".join(sessions[:5]) or "another session"


def quote(name: str) -> str:
    """An identifier in backticks."""
    return "`" + name.replace("`", "``") + "`"
