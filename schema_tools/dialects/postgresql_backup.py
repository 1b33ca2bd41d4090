"""PostgreSQL backups: pg_dump custom-format archives in one snapshot, restored by psql in one transaction."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection

from ..backup_files import head
from ..backup_format import BackupFormat, Contents, Job, database_failure, quote_double
from ..errors import BackupError
from ..tools import LOCK_TIMEOUT_ENV, Client, Timeouts, query_value

ARCHIVE_HEADER = b"PGDMP"
CLIENT = Client(("pg_dump", "pg_restore", "psql"), "postgresql-client", "PGPASSWORD", "postgresql")
# Every table of the database, in every schema but the system ones.
_TABLES = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'"
)
# The other sessions holding locks in the current database, to name them in a lock timeout message.
_LOCK_HOLDERS = (
    "SELECT DISTINCT a.pid, coalesce(a.state, ''), coalesce(a.usename, '') FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND a.pid <> pg_backend_pid() "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1"
)


class PostgreSQLBackup(BackupFormat):
    """pg_dump --format=custom archives; restore drops and recreates the schemas inside one psql transaction."""

    description = "a pg_dump custom-format archive"
    client = CLIENT

    def sniff(self, head: bytes) -> bool:
        return head.startswith(ARCHIVE_HEADER)

    def verify(self, path: Path, timeouts: Timeouts) -> None:
        check_archive(path, timeouts, self.require_tools()["pg_restore"])

    def tables(self, connection: Connection) -> list[tuple[str, str]]:
        """Tables in every schema; those in public are named without it."""
        names = connection.exec_driver_sql(_TABLES).all()
        return [("" if schema == "public" else str(schema), str(name)) for schema, name in names]

    def dump(self, job: Job, temp: Path, target: Path) -> Contents:
        """pg_dump in one exported snapshot, so the manifest's row counts and revision match the archive exactly."""
        url, timeouts = job.url, job.timeouts
        with job.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                try:
                    snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
                except sa_exc.DBAPIError as error:
                    raise database_failure(error, "starting the backup snapshot", url) from None
                argv = [
                    job.tools["pg_dump"], "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                    f"--lock-wait-timeout={int(timeouts.lock * 1000)}", "-f", str(temp),
                    f"--dbname={conninfo(url, timeouts)}",
                ]  # fmt: skip
                run(argv, url, timeouts, f"dumping {job.label}", written=target)
                check_archive(temp, timeouts, job.tools["pg_restore"])
                return self.contents(connection, url)

    def restore(self, job: Job, path: Path) -> None:
        """Drop and recreate the schemas and load the archive's SQL in ONE psql transaction; any error rolls back."""
        with job.connect() as connection:  # login and database checked before any work
            connection.exec_driver_sql("SELECT 1")
        schemas = _archive_schemas(path, job.tools["pg_restore"], job.timeouts)
        with tempfile.TemporaryDirectory(prefix="schema-tools-restore-") as scratch:
            script = Path(scratch) / "restore.sql"
            # The archive is decoded in full before anything is dropped: a truncated or corrupt one fails here.
            run(
                [job.tools["pg_restore"], "--no-owner", "-f", str(script), str(path)],
                job.url,
                job.timeouts,
                f"reading the archive {path.name} (nothing was changed)",
                written=script,
            )
            _load_in_one_transaction(job, schemas, script)

    def clone(self, source: Job, target: Job) -> None:
        """pg_dump --schema-only of the source, loaded by psql in one transaction."""
        timeouts = source.timeouts
        dump = run(
            [source.tools["pg_dump"], "--schema-only", "--no-owner", "--no-privileges", "--no-comments",
             f"--lock-wait-timeout={int(timeouts.lock * 1000)}", f"--dbname={conninfo(source.url, timeouts)}"],
            source.url, timeouts, "copying the schema", stdout=subprocess.PIPE,
        )  # fmt: skip
        script = b"SET client_min_messages = warning;\n" + _without_public_schema(dump or b"")
        with tempfile.TemporaryFile() as stdin:
            stdin.write(script)
            stdin.seek(0)
            run(
                [target.tools["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-",
                 f"--dbname={conninfo(target.url, timeouts)}"],
                target.url, timeouts, "loading the schema copy", stdin=stdin,
            )  # fmt: skip


def _load_in_one_transaction(job: Job, schemas: list[str], script: Path) -> None:
    """psql --single-transaction: drop the schemas the archive creates, recreate public, run the script."""
    url, timeouts = job.url, job.timeouts
    drops = "".join(f"DROP SCHEMA IF EXISTS {quote_double(name)} CASCADE; " for name in schemas if name != "public")
    preamble = (
        "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; "
        f"{drops}CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;"
    )
    options = f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout={int(timeouts.lock * 1000)}".strip()
    argv = [
        job.tools["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
        f"--dbname={conninfo(url, timeouts)}", "-c", preamble, "-f", str(script),
    ]  # fmt: skip
    try:
        run(
            argv, url, timeouts, f"restoring {job.label} (rolled back: nothing was changed)", env={"PGOPTIONS": options}
        )
    except BackupError as error:
        if "lock timeout" in str(error):
            raise BackupError(
                f"restore of {job.label} waited {timeouts.lock:g}s ({LOCK_TIMEOUT_ENV}) for a lock on its "
                f"tables, held by {_lock_holders(job)}: end that transaction and retry; nothing was changed"
            ) from None
        raise


def run(
    argv: list[str],
    url: URL | None,
    timeouts: Timeouts,
    doing: str,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
    written: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes | None:
    """A PostgreSQL client tool with the connect timeout and password in its environment."""
    extra = {"PGCONNECT_TIMEOUT": str(timeouts.connect_seconds), **(env or {})}
    return CLIENT.run(argv, url, timeouts, doing, stdin=stdin, stdout=stdout, written=written, env=extra)


def check_archive(path: Path, timeouts: Timeouts, pg_restore: str) -> None:
    """A custom-format archive whose table of contents pg_restore can read."""
    if head(path, len(ARCHIVE_HEADER)) != ARCHIVE_HEADER:
        raise BackupError(f"{path} is not a pg_dump custom-format archive (no PGDMP header)")
    run(
        [pg_restore, "--list", str(path)],
        None,
        timeouts,
        f"checking the archive {path.name} (it is truncated or corrupt)",
    )


def conninfo(url: URL, timeouts: Timeouts) -> str:
    """A libpq connection string (no password): handles database names that psql would parse as options."""
    parts = {
        "host": url.host or query_value(url, "host") or "localhost",
        "port": str(url.port or query_value(url, "port") or 5432),
        "user": url.username or "",
        "dbname": url.database or "",
        "connect_timeout": str(timeouts.connect_seconds),
        "sslmode": query_value(url, "sslmode") or "",
    }
    return " ".join(f"{key}={_conninfo_quote(value)}" for key, value in parts.items() if value)


def _archive_schemas(path: Path, pg_restore: str, timeouts: Timeouts) -> list[str]:
    """The schemas the archive creates: restore drops them first so their CREATE SCHEMA succeeds."""
    listing = run(
        [pg_restore, "--list", str(path)], None, timeouts, f"checking the archive {path.name}", stdout=subprocess.PIPE
    )
    schemas = []
    for line in (listing or b"").decode(errors="replace").splitlines():
        if line.startswith(";") or " SCHEMA - " not in line:
            continue
        schemas.append(line.split(" SCHEMA - ", 1)[1].rsplit(" ", 1)[0])
    return schemas


def _lock_holders(job: Job) -> str:
    """The other sessions holding locks in the target database, to name them in the lock timeout message."""
    try:
        with job.connect() as connection:
            rows = connection.exec_driver_sql(_LOCK_HOLDERS).all()
    except Exception:
        rows = []
    return ", ".join(f"pid {pid} ({state or 'active'}, user {user})" for pid, state, user in rows[:5]) or (
        "another session"
    )


def _without_public_schema(dump: bytes) -> bytes:
    """pg_dump may create the public schema, which every new database already has."""
    lines = [line for line in dump.splitlines(keepends=True) if not line.startswith(b"CREATE SCHEMA public;")]
    return b"".join(lines)


def _conninfo_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
