"""backup() and restore(): verified, atomic backups per backend (SQLite backup API, pg_dump, mysqldump), never `cp`."""

from __future__ import annotations

import errno
import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection

from .connect import create_sync_engine, explain_connect_error, resolve_url, sqlite_path, sync_url
from .errors import BackupError, DatabaseNotFound
from .secrets import mask_text
from .sources import describe

MANIFEST_FORMAT = 1
VERSION_TABLE = "alembic_version"
CONNECT_TIMEOUT_ENV = "SCHEMA_TOOLS_CONNECT_TIMEOUT"
LOCK_TIMEOUT_ENV = "SCHEMA_TOOLS_LOCK_TIMEOUT"
COMMAND_TIMEOUT_ENV = "SCHEMA_TOOLS_COMMAND_TIMEOUT"
DEFAULT_TIMEOUTS = {CONNECT_TIMEOUT_ENV: 5.0, LOCK_TIMEOUT_ENV: 300.0, COMMAND_TIMEOUT_ENV: 3600.0}

# The file suffix backup names get per backend, and how messages name each backend.
SUFFIXES = {"sqlite": "db", "postgresql": "dump", "mysql": "sql"}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}

# The client tools each server backend needs, and the Debian package that brings them.
TOOLS = {
    "postgresql": (("pg_dump", "pg_restore", "psql"), "postgresql-client"),
    "mysql": (("mysqldump", "mysql"), "mariadb-client"),
}

SQLITE_HEADER = b"SQLite format 3\x00"
PG_ARCHIVE_HEADER = b"PGDMP"
MYSQL_DUMP_HEADER = re.compile(rb"^-- (MySQL|MariaDB) dump ")
MYSQL_SANDBOX_LINE = re.compile(rb"^/\*M!999999\\- enable the sandbox mode \*/ ?$")
MYSQL_TRAILER = b"-- Dump completed"
# Statements that would make a dump write outside the database it is loaded into.
MYSQL_DATABASE_SWITCH = re.compile(rb"^\s*(USE\s|CREATE\s+DATABASE\b|CREATE\s+SCHEMA\b|DROP\s+DATABASE\b)", re.I)
# stderr lines of the client tools that say what went wrong; the rest is progress and context.
IMPORTANT_STDERR = re.compile(r"error|permission denied|denied|fatal|could not|failed|too large|no space", re.I)
DISK_FULL_STDERR = re.compile(r"no space left|file too large|file size limit|disk full|errno:? ?(27|28)\b", re.I)
SQLITE_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for a connection, for a lock held by another session, and for a whole client tool run."""

    connect: float
    lock: float
    command: float

    @classmethod
    def from_env(cls) -> Timeouts:
        """SCHEMA_TOOLS_CONNECT_TIMEOUT, _LOCK_TIMEOUT (else the app's connect-timeout and lock-timeout: 5 s,
        300 s) and _COMMAND_TIMEOUT (3600 s)."""
        from .config import CONNECT_TIMEOUT_ENV, LOCK_TIMEOUT_ENV, find_project

        project = find_project()
        configured = {CONNECT_TIMEOUT_ENV: project.connect_timeout, LOCK_TIMEOUT_ENV: project.lock_timeout}
        values = []
        for name, fallback in DEFAULT_TIMEOUTS.items():
            default = configured.get(name, fallback)
            raw = os.environ.get(name, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise BackupError(f"{name}={raw!r} is not a number of seconds: set it to e.g. {default:g}") from None
            if not math.isfinite(value) or value <= 0:
                raise BackupError(f"{name}={raw!r} must be a positive number of seconds, e.g. {default:g}")
            values.append(value)
        return cls(*values)

    @property
    def connect_seconds(self) -> int:
        return max(2, math.ceil(self.connect))  # libpq treats less than 2 s as 2 s

    @property
    def lock_seconds(self) -> int:
        return max(1, math.ceil(self.lock))


@dataclass(frozen=True)
class Manifest:
    """The sidecar `<backup>.json`: what restore checks before it destroys anything."""

    format: int
    backend: str
    source: str
    sha256: str
    bytes: int
    revision: tuple[str, ...]
    tables: tuple[tuple[str, int], ...]
    created: str

    def to_json(self) -> str:
        body = {
            "format": self.format,
            "backend": self.backend,
            "source": self.source,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "revision": list(self.revision),
            "tables": dict(self.tables),
            "created": self.created,
        }
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Backup:
    """A verified backup file and what it holds: backend, size, checksum, revision and per-table row counts."""

    path: Path
    backend: str
    source: str
    bytes: int
    rows: tuple[tuple[str, int], ...]
    revision: tuple[str, ...] = ()
    sha256: str = ""
    manifest: Path | None = None

    def __str__(self) -> str:
        total = sum(count for _, count in self.rows)
        return (
            f"backup of {self.source} ({self.backend}, revision {'+'.join(self.revision) or 'base'}) at "
            f"{_shown_path(self.path)}: {self.bytes} bytes, {len(self.rows)} tables, {total} rows"
        )


def _shown_path(path: Path) -> str:
    """A path as the user can open it: relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _LockWaitExpired(Exception):
    """Raised from SQLite's backup progress callback to stop retrying a busy database."""


# ---------------------------------------------------------------------------------------------------------------------
# Public helpers


def manifest_path(backup_file: str | os.PathLike[str]) -> Path:
    """Where the sidecar manifest of a backup file lives: the same name with .json appended."""
    path = Path(backup_file)
    return path.with_name(f"{path.name}.json")


def read_manifest(backup_file: str | os.PathLike[str]) -> Manifest | None:
    """The backup's manifest, None when it has none; a damaged manifest is an error, never silently ignored."""
    path = manifest_path(backup_file)
    if not path.exists():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(
            format=int(body["format"]),
            backend=str(body["backend"]),
            source=str(body.get("source", "")),
            sha256=str(body["sha256"]),
            bytes=int(body["bytes"]),
            revision=tuple(str(r) for r in body.get("revision", [])),
            tables=tuple((str(name), int(count)) for name, count in dict(body.get("tables", {})).items()),
            created=str(body.get("created", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(
            f"the manifest {path} is unreadable ({type(error).__name__}: {error}): it cannot vouch for the backup; "
            "restore from another backup, or move the manifest away to restore without its checks"
        ) from None


def backup_path(
    directory: str | os.PathLike[str], stem: str, revision: str | Sequence[str] | None, suffix: str
) -> Path:
    """A new, unique backup file `{stem}.{revision}.{UTC time}.{counter}.{suffix}` in `directory`.

    The name is claimed by creating the (empty) file exclusively, so two processes never get the same one and a
    retry never overwrites an earlier backup. SOURCE_DATE_EPOCH, when set, replaces the clock.
    """
    folder = Path(os.path.abspath(Path(directory).expanduser()))
    if not folder.exists():
        raise BackupError(f"backup directory {folder} does not exist: create it (mkdir -p {folder}) or choose another")
    if not folder.is_dir():
        raise BackupError(f"backup directory {folder} is not a directory: choose a directory for the backups")
    label = "+".join(revision) if isinstance(revision, Sequence) and not isinstance(revision, str) else revision
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    name_stem = f"{_safe_name(stem) or 'database'}.{_safe_name(label or '') or 'base'}.{stamp}"
    for counter in itertools.count(1):
        candidate = folder / f"{name_stem}.{counter}.{_safe_name(suffix) or 'backup'}"
        if manifest_path(candidate).exists():
            continue
        try:
            handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as error:
            raise _write_failure(error, candidate) from None
        os.close(handle)
        return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def verify_backup(backup_file: str | os.PathLike[str] | Backup, backend: str | None = None) -> str:
    """Check a backup completely without touching any database; return the backend it is for.

    A regular, non-empty file; its manifest (if any) matches its size and sha256; the format is right for
    `backend` (SQLite integrity_check, a readable pg_dump archive, a mysqldump file with its trailer).
    """
    path = backup_file.path if isinstance(backup_file, Backup) else Path(backup_file).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BackupError(f"backup file not found: {path}: check the path") from None
    except OSError as error:
        raise BackupError(f"cannot read backup file {path}: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BackupError(f"{path} is not a regular file: give the backup file itself")
    if info.st_size == 0:
        raise BackupError(f"{path} is empty (0 bytes), not a complete backup: restore from another backup")
    held = _sniff(path)
    if held is None:
        raise BackupError(
            f"{path} is not a backup schema-tools can restore: neither a SQLite database, a pg_dump custom-format "
            "archive nor a mysqldump file; check the path"
        )
    if backend is not None and held != backend:
        raise BackupError(
            f"{path} is a {BACKEND_NAMES[held]} backup but the target is a {BACKEND_NAMES.get(backend, backend)} "
            f"database: restore it into a {BACKEND_NAMES[held]} database"
        )
    manifest = read_manifest(path)
    if manifest is not None:
        _check_against_manifest(path, info.st_size, held, manifest)
    if held == "sqlite":
        _check_sqlite_file(path, f"backup {path}")
    elif held == "postgresql":
        _check_pg_archive(path, Timeouts.from_env())
    else:
        _check_mysql_dump(path)
    return held


# ---------------------------------------------------------------------------------------------------------------------
# backup()


def backup(
    url: str | URL | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> Backup:
    """Back up the database to `path`, or to a new uniquely named file in `directory` (see backup_path).

    Without either, a new file next to a SQLite database or in the working directory. The backup is written to a
    temporary file beside the target, verified, fsynced and renamed into place with its manifest, so whatever was
    at `path` stays intact until a complete backup replaces it. SQLite uses the online backup API (rows still in
    the -wal file are copied), PostgreSQL pg_dump's custom format, MySQL/MariaDB a mysqldump SQL file.
    """
    parsed = sync_url(resolve_url(url))
    backend = _backend(parsed)
    if backend not in SUFFIXES:
        raise BackupError(f"backups of {backend} databases are not supported: use sqlite, postgresql or mysql")
    if path is not None and directory is not None:
        raise BackupError("give either a backup file (path, -o) or a directory for a new backup name, not both")
    timeouts = Timeouts.from_env()
    tools = _require_tools(backend)
    source_file = _sqlite_source(parsed) if backend == "sqlite" else None

    reserved: Path | None = None
    if path is not None:
        target = _output_path(path)
    else:
        folder = Path(directory) if directory is not None else (source_file.parent if source_file else Path.cwd())
        stem = source_file.stem if source_file else (parsed.database or "database")
        start = _read_sqlite(source_file)[0] if source_file else _server_revision(parsed, timeouts)
        target = reserved = backup_path(folder, stem, start, SUFFIXES[backend])
    if source_file is not None:
        _refuse_writing_onto(source_file, target)

    try:
        with _temp_beside(target) as temp:
            if backend == "sqlite":
                assert source_file is not None
                revision, rows = _dump_sqlite(source_file, temp, target, timeouts)
            elif backend == "postgresql":
                revision, rows = _dump_postgres(parsed, temp, target, tools, timeouts)
            else:
                revision, rows = _dump_mysql(parsed, temp, target, tools, timeouts)
            return _publish(temp, target, backend, describe(parsed), revision, rows)
    except BaseException:
        if reserved is not None:
            with suppress(OSError):
                if reserved.stat().st_size == 0:
                    reserved.unlink()  # our own empty placeholder: nothing of the user's
        raise


def _publish(
    temp: Path, target: Path, backend: str, source: str, revision: tuple[str, ...], rows: tuple[tuple[str, int], ...]
) -> Backup:
    """fsync the verified temp file, write the manifest beside it, then rename both into place."""
    try:
        _fsync(temp)
        size = temp.stat().st_size
        digest = _sha256(temp)
        manifest = Manifest(MANIFEST_FORMAT, backend, source, digest, size, revision, rows, _now().isoformat())
        sidecar = manifest_path(target)
        with _temp_beside(sidecar) as temp_manifest:
            with open(temp_manifest, "w", encoding="utf-8") as out:
                out.write(manifest.to_json())
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                os.chmod(temp, stat.S_IMODE(target.stat().st_mode))  # an overwritten backup keeps its permissions
            os.replace(temp, target)
            os.replace(temp_manifest, sidecar)
        _fsync_directory(target.parent)
    except OSError as error:
        raise _write_failure(error, target) from None
    return Backup(target, backend, source, size, rows, revision, digest, sidecar)


def _output_path(path: str | os.PathLike[str]) -> Path:
    """The file a backup will replace, symlinks resolved; a directory or a missing directory is refused."""
    given = Path(path).expanduser()
    if given.is_dir():
        raise BackupError(f"{given} is a directory: give a file name for the backup, e.g. {given / 'database.backup'}")
    real = Path(os.path.realpath(given))
    if not real.parent.exists():
        raise BackupError(
            f"directory {real.parent} does not exist: create it (mkdir -p {real.parent}) or choose another output path"
        )
    if not real.parent.is_dir():
        raise BackupError(f"{real.parent} is not a directory: choose another output path for the backup")
    if real.exists() and not real.is_file():
        raise BackupError(f"{given} exists and is not a regular file: choose another output path for the backup")
    return real


def _refuse_writing_onto(database: Path, target: Path) -> None:
    """A backup must never replace the database it copies, nor its -wal/-shm/-journal files."""
    protected = [database, *(database.with_name(database.name + extra) for extra in SQLITE_SIDECARS)]
    for written in (target, manifest_path(target)):
        for kept in protected:
            if _same_path(written, kept):
                raise BackupError(
                    f"refusing to write the backup to {written}: that is the database being backed up ({kept.name}); "
                    "choose another output path"
                )


def _sqlite_source(url: URL) -> Path:
    """The SQLite file to back up: it exists, is a file and starts with the SQLite header."""
    source = sqlite_path(url)
    if source is None:
        raise BackupError("cannot back up an in-memory SQLite database: give a file URL (sqlite:///path.db)")
    if not source.exists():
        raise DatabaseNotFound(f"SQLite database file not found: {source}: nothing to back up")
    if not source.is_file():
        raise BackupError(f"{source} is not a file: give the SQLite database file in the URL")
    header = _head(source, len(SQLITE_HEADER))
    if not header:
        raise BackupError(f"{source} is an empty file (0 bytes), not a SQLite database with tables: nothing to back up")
    if header != SQLITE_HEADER:
        raise BackupError(f"{source} is not a SQLite database (no SQLite header): check the URL")
    return source


def _dump_sqlite(
    source: Path, temp: Path, target: Path, timeouts: Timeouts
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """Copy with the backup API, make the copy a self-contained rollback-journal file, and check it."""
    try:
        reader = sqlite3.connect(_read_only_uri(source), uri=True, timeout=timeouts.lock)
        try:
            writer = sqlite3.connect(temp)
            try:
                _sqlite_copy(reader, writer, timeouts.lock)
                writer.execute("PRAGMA journal_mode=DELETE")  # a single file, even when the source uses WAL
            finally:
                writer.close()
        finally:
            reader.close()
    except _LockWaitExpired:
        raise BackupError(
            f"backup waited {timeouts.lock:g}s ({LOCK_TIMEOUT_ENV}) for another connection to release {source.name}: "
            "finish or close it and retry; nothing was written"
        ) from None
    except sqlite3.Error as error:
        raise _sqlite_failure(error, f"backing up {source.name}", target) from None
    _check_sqlite_file(temp, f"the new backup of {source.name}")
    return _read_sqlite(temp)


def _dump_postgres(
    url: URL, temp: Path, target: Path, tools: dict[str, str], timeouts: Timeouts
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """pg_dump in one exported snapshot, so the manifest's row counts and revision match the archive exactly."""
    with _connect(url, timeouts) as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            try:
                snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
            except sa_exc.DBAPIError as error:
                raise _database_failure(error, "starting the backup snapshot", url) from None
            _run_tool(
                [
                    tools["pg_dump"],
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--lock-wait-timeout={int(timeouts.lock * 1000)}",
                    "-f",
                    str(temp),
                    f"--dbname={_pg_conninfo(url, timeouts)}",
                ],
                url,
                timeouts,
                f"dumping {describe(url)}",
                written=target,
            )
            _check_pg_archive(temp, timeouts, tools["pg_restore"])
            return _server_contents(connection, url)


def _dump_mysql(
    url: URL, temp: Path, target: Path, tools: dict[str, str], timeouts: Timeouts
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """mysqldump of one database (no USE or CREATE DATABASE), checked for its completion trailer."""
    with _connect(url, timeouts) as connection:  # a wrong password or missing database fails here, in one line
        connection.exec_driver_sql("SELECT 1")
    argv = [
        tools["mysqldump"],
        *_mysql_args(url),
        "--single-transaction",
        "--routines",
        "--triggers",
        "--hex-blob",
        "--no-tablespaces",
        "--default-character-set=utf8mb4",
        url.database or "",
    ]
    with open(temp, "wb") as out:
        _run_tool(argv, url, timeouts, f"dumping {describe(url)}", stdout=out, written=target)
    _check_mysql_dump(temp, label=f"the new dump of {describe(url)}")
    with _connect(url, timeouts) as connection:
        return _server_contents(connection, url)


# ---------------------------------------------------------------------------------------------------------------------
# restore()


def restore(backup_path: str | os.PathLike[str] | Backup, url: str | URL | None = None) -> None:
    """Replace the database's contents with the backup's: schema, rows and alembic_version.

    The backup is verified completely first (manifest checksum, format, integrity), and the replacement is atomic
    on every backend: a failure at any point leaves the target exactly as it was.
    """
    path = backup_path.path if isinstance(backup_path, Backup) else Path(backup_path).expanduser()
    parsed = sync_url(resolve_url(url))
    backend = _backend(parsed)
    if backend not in SUFFIXES:
        raise BackupError(f"restoring {backend} databases is not supported: use sqlite, postgresql or mysql")
    timeouts = Timeouts.from_env()
    tools = _require_tools(backend)
    target_file: Path | None = None
    if backend == "sqlite":
        target_file = sqlite_path(parsed)
        if target_file is None:
            raise BackupError("cannot restore into an in-memory SQLite database: give a file URL (sqlite:///path.db)")
        _refuse_restoring_onto_itself(path, target_file)
    verify_backup(path, backend)
    if backend == "sqlite":
        assert target_file is not None
        _restore_sqlite(path, target_file, timeouts)
    elif backend == "postgresql":
        _restore_postgres(path, parsed, tools, timeouts)
    else:
        _restore_mysql(path, parsed, tools, timeouts)


def _refuse_restoring_onto_itself(backup_file: Path, database: Path) -> None:
    for kept in (database, *(database.with_name(database.name + extra) for extra in SQLITE_SIDECARS)):
        if _same_path(backup_file, kept):
            raise BackupError(
                f"refusing to restore {backup_file} onto itself: it is the target database ({kept.name}); "
                "give a backup file, not the database"
            )


def _restore_sqlite(path: Path, target: Path, timeouts: Timeouts) -> None:
    """One backup-API step (pages=-1) in one write transaction: other connections see the old or the new database."""
    if target.exists():
        if not target.is_file():
            raise BackupError(f"{target} is not a file: the URL must name a SQLite database file")
        header = _head(target, len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise BackupError(f"{target} is not a SQLite database: refusing to overwrite it; check the URL")
        _refuse_wal_page_size_change(path, target)
        _copy_sqlite_into(path, target, timeouts)
        return
    if not target.parent.is_dir():
        raise DatabaseNotFound(f"directory {target.parent} does not exist: create it or fix the URL")
    with _temp_beside(target) as temp:  # a new database appears complete or not at all
        _copy_sqlite_into(path, temp, timeouts)
        try:
            _fsync(temp)
            os.replace(temp, target)
            _fsync_directory(target.parent)
        except OSError as error:
            raise _write_failure(error, target) from None


def _refuse_wal_page_size_change(path: Path, target: Path) -> None:
    """SQLite's backup API cannot change the page size of a WAL-mode database; say so instead of 'readonly'."""
    backup_header, target_header = _head(path, 100), _head(target, 100)
    if len(backup_header) < 20 or len(target_header) < 20 or target_header[18:20] != b"\x02\x02":
        return
    backup_size, target_size = (int.from_bytes(h[16:18], "big") or 65536 for h in (backup_header, target_header))
    if backup_size != target_size:
        raise BackupError(
            f"{target.name} is in WAL mode with {target_size}-byte pages and the backup has {backup_size}-byte pages, "
            "which SQLite cannot restore in place: run PRAGMA journal_mode=DELETE on it with no other connection "
            "open, then retry; nothing was changed"
        )


def _copy_sqlite_into(path: Path, target: Path, timeouts: Timeouts) -> None:
    try:
        reader = sqlite3.connect(_read_only_uri(path), uri=True, timeout=timeouts.lock)
        try:
            writer = sqlite3.connect(target, timeout=timeouts.lock)
            try:
                _sqlite_copy(reader, writer, timeouts.lock)
            finally:
                writer.close()
        finally:
            reader.close()
    except _LockWaitExpired:
        raise BackupError(
            f"restore waited {timeouts.lock:g}s ({LOCK_TIMEOUT_ENV}) for another connection to finish writing "
            f"{target.name}: close it and retry; nothing was changed"
        ) from None
    except sqlite3.Error as error:
        raise _sqlite_failure(error, f"restoring {target.name}", target) from None


def _restore_postgres(path: Path, url: URL, tools: dict[str, str], timeouts: Timeouts) -> None:
    """Drop and recreate the schemas and load the archive's SQL in ONE psql transaction; any error rolls it all back."""
    with _connect(url, timeouts) as connection:  # login and database checked before any work
        connection.exec_driver_sql("SELECT 1")
    schemas = _archive_schemas(path, tools["pg_restore"], timeouts)
    with tempfile.TemporaryDirectory(prefix="schema-tools-restore-") as scratch:
        script = Path(scratch) / "restore.sql"
        # The archive is decoded in full before anything is dropped: a truncated or corrupt one fails here.
        _run_tool(
            [tools["pg_restore"], "--no-owner", "-f", str(script), str(path)],
            url,
            timeouts,
            f"reading the archive {path.name} (nothing was changed)",
            written=script,
        )
        drops = "".join(f"DROP SCHEMA IF EXISTS {_pg_quote(name)} CASCADE; " for name in schemas if name != "public")
        preamble = (
            "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; "
            f"{drops}CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;"
        )
        options = f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout={int(timeouts.lock * 1000)}".strip()
        try:
            _run_tool(
                [
                    tools["psql"],
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--single-transaction",
                    f"--dbname={_pg_conninfo(url, timeouts)}",
                    "-c",
                    preamble,
                    "-f",
                    str(script),
                ],
                url,
                timeouts,
                f"restoring {describe(url)} (rolled back: nothing was changed)",
                env={"PGOPTIONS": options},
            )
        except BackupError as error:
            if "lock timeout" in str(error):
                raise BackupError(
                    f"restore of {describe(url)} waited {timeouts.lock:g}s ({LOCK_TIMEOUT_ENV}) for a lock on its "
                    f"tables, held by {_pg_lock_holders(url, timeouts)}: end that transaction and retry; "
                    "nothing was changed"
                ) from None
            raise


def _restore_mysql(path: Path, url: URL, tools: dict[str, str], timeouts: Timeouts) -> None:
    """Load into a scratch database, check it, then swap every table in with one atomic RENAME TABLE."""
    database = url.database
    if not database:
        raise BackupError(f"the URL {describe(url)} names no database to restore into: add /DBNAME to it")
    tag = uuid.uuid4().hex[:12]
    scratch, trash = f"st_restore_{tag}", f"st_restore_{tag}_old"
    manifest = read_manifest(path)
    with _connect(url, timeouts, autocommit=True) as connection:
        run = _mysql_runner(connection, url, timeouts)
        run(f"SET SESSION lock_wait_timeout = {timeouts.lock_seconds}")
        _refuse_unmovable_objects(run, database, f"the target database {database!r}")
        charset, collation = run(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
            "WHERE SCHEMA_NAME = %s",
            (database,),
        )[0]
        try:
            run(f"CREATE DATABASE {_my_quote(scratch)} CHARACTER SET {charset} COLLATE {collation}")
            with open(path, "rb") as dump:
                _run_tool(
                    [
                        tools["mysql"],
                        *_mysql_args(url),
                        f"--connect-timeout={timeouts.connect_seconds}",
                        "--default-character-set=utf8mb4",
                        *(["--sandbox"] if _mysql_has_sandbox(tools["mysql"]) else []),
                        "--batch",
                        scratch,
                    ],
                    url,
                    timeouts,
                    f"loading {path.name} into a scratch database (the target was not touched)",
                    stdin=dump,
                )
            _refuse_unmovable_objects(run, scratch, f"the backup {path.name}")
            incoming = _mysql_tables(run, scratch)
            if manifest is not None and sorted(name for name, _ in manifest.tables) != incoming:
                missing = sorted({name for name, _ in manifest.tables} - set(incoming))
                raise BackupError(
                    f"{path.name} loaded {len(incoming)} tables but its manifest lists {len(manifest.tables)}"
                    f"{' (missing: ' + ', '.join(missing[:5]) + ')' if missing else ''}: the dump is incomplete; "
                    "restore from another backup (the target was not touched)"
                )
            outgoing = _mysql_tables(run, database)
            run(f"CREATE DATABASE {_my_quote(trash)}")
            moves = [f"{_my_quote(database)}.{_my_quote(t)} TO {_my_quote(trash)}.{_my_quote(t)}" for t in outgoing]
            moves += [f"{_my_quote(scratch)}.{_my_quote(t)} TO {_my_quote(database)}.{_my_quote(t)}" for t in incoming]
            if moves:
                run("RENAME TABLE " + ", ".join(moves), waiting_for=f"a metadata lock on the tables of {database!r}")
        finally:
            for leftover in (trash, scratch):
                with suppress(Exception):
                    run(f"DROP DATABASE IF EXISTS {_my_quote(leftover)}")


@functools.cache
def _mysql_has_sandbox(mysql: str) -> bool:
    """MariaDB clients since 10.5.25/10.6.18/10.11.8 can refuse a dump's shell and file commands (--sandbox)."""
    try:
        shown = subprocess.run([mysql, "--help"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--sandbox" in shown


def _refuse_unmovable_objects(run: Any, database: str, what: str) -> None:
    """RENAME TABLE cannot carry views, triggers or routines into another database: refuse before any change."""
    found: list[str] = []
    for kind, query in (
        ("view", "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s"),
        ("trigger", "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"),
        ("routine", "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"),
        ("event", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s"),
    ):
        found += [f"{kind} {row[0]}" for row in run(query, (database,))]
    if found:
        raise BackupError(
            f"{what} has {', '.join(sorted(found)[:5])}{' ...' if len(found) > 5 else ''}, which an atomic restore "
            "(RENAME TABLE) cannot move: restore it by hand with the mysql client; nothing was changed"
        )


def _mysql_tables(run: Any, database: str) -> list[str]:
    rows = run(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_TYPE <> 'VIEW'",
        (database,),
    )
    return sorted(str(row[0]) for row in rows)


def _mysql_runner(connection: Connection, url: URL, timeouts: Timeouts) -> Any:
    """Run SQL through the DBAPI cursor: no parameters means pymysql does no %-formatting of names like `a%(b)s`."""
    dbapi_error = connection.dialect.loaded_dbapi.Error

    def run(statement: str, parameters: tuple[Any, ...] | None = None, *, waiting_for: str = "") -> list[Any]:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []
        except dbapi_error as error:
            code = error.args[0] if error.args else None
            if code in (1205, 3024) or "lock wait timeout" in str(error).lower():
                holders = _mysql_lock_holders(connection, url)
                raise BackupError(
                    f"restore of {describe(url)} waited {timeouts.lock_seconds}s ({LOCK_TIMEOUT_ENV}) for "
                    f"{waiting_for or 'a lock'}, held by {holders}: end that transaction and retry; nothing was changed"
                ) from None
            if code in (1044, 1045, 1142, 1227):
                raise BackupError(
                    f"restore needs privileges it lacks on {describe(url)} ({mask_text(str(error.args[-1]), url)}): "
                    "it loads the backup into a scratch database first, so grant CREATE, DROP and ALTER; "
                    "nothing was changed"
                ) from None
            raise BackupError(f"restore failed: {mask_text(str(error), url)}; nothing was changed") from None
        finally:
            cursor.close()

    return run


def _mysql_lock_holders(connection: Connection, url: URL) -> str:
    try:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(
                "SELECT ID, COMMAND, TIME FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()",
                (url.database,),
            )
            sessions = [f"session {row[0]} ({row[1]} for {row[2]}s)" for row in cursor.fetchall()]
        finally:
            cursor.close()
    except Exception:
        sessions = []
    return ", ".join(sessions[:5]) or "another session"


def _pg_lock_holders(url: URL, timeouts: Timeouts) -> str:
    """The other sessions holding locks in the target database, to name them in the lock timeout message."""
    query = (
        "SELECT DISTINCT a.pid, coalesce(a.state, ''), coalesce(a.usename, '') FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND a.pid <> pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1"
    )
    try:
        with _connect(url, timeouts) as connection:
            rows = connection.exec_driver_sql(query).all()
    except Exception:
        rows = []
    return ", ".join(f"pid {pid} ({state or 'active'}, user {user})" for pid, state, user in rows[:5]) or (
        "another session"
    )


# ---------------------------------------------------------------------------------------------------------------------
# Checks of backup files


def _sniff(path: Path) -> str | None:
    """The backend a file's first bytes say it is for, or None."""
    head = _head(path, 512)
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_ARCHIVE_HEADER):
        return "postgresql"
    lines = head.splitlines()
    if lines and MYSQL_SANDBOX_LINE.match(lines[0]):
        lines = lines[1:]
    if lines and MYSQL_DUMP_HEADER.match(lines[0]):
        return "mysql"
    return None


def _check_against_manifest(path: Path, size: int, held: str, manifest: Manifest) -> None:
    if manifest.backend != held:
        raise BackupError(
            f"{path.name} holds a {BACKEND_NAMES[held]} backup but its manifest says "
            f"{BACKEND_NAMES.get(manifest.backend, manifest.backend)}: the file was replaced; "
            "restore from another backup"
        )
    if manifest.bytes != size:
        raise BackupError(
            f"{path.name} is {size} bytes but its manifest recorded {manifest.bytes}: the backup is truncated or was "
            "changed; restore from another backup"
        )
    digest = _sha256(path)
    if digest != manifest.sha256:
        raise BackupError(
            f"checksum mismatch: {path.name} has sha256 {digest[:12]}... but its manifest recorded "
            f"{manifest.sha256[:12]}...: the backup was changed or damaged; restore from another backup"
        )


def _check_sqlite_file(path: Path, label: str) -> None:
    """Opens as SQLite and PRAGMA integrity_check says ok."""
    if _head(path, len(SQLITE_HEADER)) != SQLITE_HEADER:
        raise BackupError(f"{label} is not a SQLite database (no SQLite header): restore from another backup")
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"{label} is not a usable SQLite database ({error}): restore from another backup") from None
    if result != ["ok"]:
        raise BackupError(
            f"{label} fails SQLite's integrity check ({'; '.join(map(str, result[:3]))}): it is corrupt; "
            "restore from another backup"
        )


def _check_pg_archive(path: Path, timeouts: Timeouts, pg_restore: str | None = None) -> None:
    """A custom-format archive whose table of contents pg_restore can read."""
    if _head(path, len(PG_ARCHIVE_HEADER)) != PG_ARCHIVE_HEADER:
        raise BackupError(f"{path} is not a pg_dump custom-format archive (no PGDMP header)")
    tool = pg_restore or _require_tools("postgresql")["pg_restore"]
    _run_tool(
        [tool, "--list", str(path)], None, timeouts, f"checking the archive {path.name} (it is truncated or corrupt)"
    )


def _archive_schemas(path: Path, pg_restore: str, timeouts: Timeouts) -> list[str]:
    """The schemas the archive creates: restore drops them first so their CREATE SCHEMA succeeds."""
    listing = _run_tool(
        [pg_restore, "--list", str(path)], None, timeouts, f"checking the archive {path.name}", stdout=subprocess.PIPE
    )
    schemas = []
    for line in (listing or b"").decode(errors="replace").splitlines():
        if line.startswith(";") or " SCHEMA - " not in line:
            continue
        schemas.append(line.split(" SCHEMA - ", 1)[1].rsplit(" ", 1)[0])
    return schemas


def _check_mysql_dump(path: Path, label: str | None = None) -> None:
    """A mysqldump/MariaDB dump header, the `-- Dump completed` trailer, and no statement that switches database."""
    name = label or f"{path}"
    if _sniff(path) != "mysql":
        raise BackupError(f"{name} is not a mysqldump file (no MySQL/MariaDB dump header)")
    size = path.stat().st_size
    with open(path, "rb") as dump:
        dump.seek(max(0, size - 4096))
        tail = dump.read().rstrip().splitlines()
    if not tail or not tail[-1].startswith(MYSQL_TRAILER):
        raise BackupError(
            f"{name} is truncated: it does not end with mysqldump's '-- Dump completed' line; "
            "restore from another backup"
        )
    with open(path, "rb") as dump:
        for number, line in enumerate(dump, start=1):
            if MYSQL_DATABASE_SWITCH.match(line[:64]):
                raise BackupError(
                    f"{name} switches database at line {number} ({line[:40].decode(errors='replace').strip()}): it "
                    "was made with --databases or --all-databases and would write outside the target; "
                    "make a single-database dump (schema-tools backup)"
                )


# ---------------------------------------------------------------------------------------------------------------------
# Databases: connections, contents


def _backend(url: URL) -> str:
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


@contextmanager
def _connect(url: URL, timeouts: Timeouts, *, autocommit: bool = False) -> Iterator[Connection]:
    """A connection with the project's connect timeout; login and missing-database errors become one line."""
    engine = create_sync_engine(url)
    try:
        try:
            connection = engine.connect()
        except sa_exc.DBAPIError as error:
            raise _connect_failure(error, url, timeouts) from None
        with connection:
            if autocommit:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
    finally:
        engine.dispose()


def _connect_failure(error: sa_exc.DBAPIError, url: URL, timeouts: Timeouts) -> BackupError | DatabaseNotFound:
    explained = explain_connect_error(error, url)
    if isinstance(explained, DatabaseNotFound):
        return explained
    text = str(explained)
    if "timed out" in text:
        text = f"timed out after {timeouts.connect_seconds}s ({CONNECT_TIMEOUT_ENV}) connecting to {describe(url)}"
    return BackupError(f"{text}; nothing was changed")


def _database_failure(error: sa_exc.DBAPIError, doing: str, url: URL) -> BackupError:
    lines = str(getattr(error, "orig", error)).strip().splitlines()
    return BackupError(f"{doing} failed: {mask_text(lines[0] if lines else type(error).__name__, url)}")


def _server_revision(url: URL, timeouts: Timeouts) -> tuple[str, ...]:
    with _connect(url, timeouts) as connection:
        return _revision(connection, url)


def _revision(connection: Connection, url: URL) -> tuple[str, ...]:
    try:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return ()
        versions = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return tuple(sorted(str(version) for version in versions))
    except sa_exc.DBAPIError as error:
        raise _database_failure(error, f"reading {VERSION_TABLE}", url) from None


def _server_contents(connection: Connection, url: URL) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """The revision and each table's row count; PostgreSQL tables outside public are named schema.table."""
    try:
        if connection.dialect.name == "postgresql":
            names = connection.exec_driver_sql(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'"
            ).all()
            tables = [(str(schema), str(name)) for schema, name in names]
        else:
            tables = [("", name) for name in sa.inspect(connection).get_table_names()]
        counts = []
        for schema, name in tables:
            query = sa.select(sa.func.count()).select_from(
                sa.table(name, schema=None if schema in ("", "public") else schema)
            )
            label = name if schema in ("", "public") else f"{schema}.{name}"
            counts.append((label, int(connection.execute(query).scalar_one())))
    except sa_exc.DBAPIError as error:
        raise _database_failure(error, "counting the rows of the backup", url) from None
    return _revision(connection, url), tuple(sorted(counts))


def _read_sqlite(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """Revision and row counts of a SQLite file, read-only."""
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True)
        try:
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                    "ORDER BY name"
                )
            ]
            counts = tuple(
                (name, int(connection.execute(f"SELECT count(*) FROM {_sqlite_quote(name)}").fetchone()[0]))
                for name in names
            )
            revision: tuple[str, ...] = ()
            if VERSION_TABLE in names:
                revision = tuple(
                    sorted(str(r[0]) for r in connection.execute(f"SELECT version_num FROM {VERSION_TABLE}"))
                )
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise _sqlite_failure(error, f"reading {path.name}", path) from None
    return revision, counts


def _sqlite_copy(source: sqlite3.Connection, destination: sqlite3.Connection, wait: float) -> None:
    """The whole database in one backup step; Python retries a busy step forever, so stop after `wait` seconds."""
    deadline = time.monotonic() + wait

    def stop_when_stuck(status: int, remaining: int, total: int) -> None:
        if status in SQLITE_BUSY_CODES and time.monotonic() >= deadline:
            raise _LockWaitExpired

    source.backup(destination, pages=-1, progress=stop_when_stuck)


def _sqlite_failure(error: sqlite3.Error, doing: str, path: Path) -> BackupError:
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (13, 10):  # SQLITE_FULL, SQLITE_IOERR (a write refused with EFBIG is an IOERR)
        return BackupError(
            f"{doing} failed writing {path}: disk full, file size limit or I/O error ({error}); "
            "free space and retry; nothing was changed"
        )
    if primary in SQLITE_BUSY_CODES:
        return BackupError(f"{doing} failed: {path.name} is locked by another connection; retry when it is done")
    if primary in (26, 11):  # SQLITE_NOTADB, SQLITE_CORRUPT
        return BackupError(f"{doing} failed: {error}; the file is not a usable SQLite database; nothing was changed")
    return BackupError(f"{doing} failed: {error}; nothing was changed")


# ---------------------------------------------------------------------------------------------------------------------
# Client tools


def _require_tools(backend: str) -> dict[str, str]:
    if backend not in TOOLS:
        return {}
    names, package = TOOLS[backend]
    found: dict[str, str] = {}
    for name in names:
        path = shutil.which(name)
        if path is None:
            raise BackupError(
                f"{name} not found on PATH: install it ('apt-get install {package}') to back up or restore {backend}"
            )
        found[name] = path
    return found


def _client_env(url: URL | None, timeouts: Timeouts, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Passwords go to the tools through their environment variables, never on a command line."""
    env = dict(os.environ)
    env["PGCONNECT_TIMEOUT"] = str(timeouts.connect_seconds)
    if url is not None and url.password:
        env["PGPASSWORD" if _backend(url) == "postgresql" else "MYSQL_PWD"] = str(url.password)
    env.update(extra or {})
    return env


def _run_tool(
    argv: list[str],
    url: URL | None,
    timeouts: Timeouts,
    doing: str,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
    written: Path | None = None,
    env: dict[str, str] | None = None,
) -> bytes | None:
    """Run a client tool with a wall-clock limit; a failure is one line with every stderr line that says why."""
    tool = Path(argv[0]).name
    try:
        result = _run_saying_waits(
            argv,
            env=_client_env(url, timeouts, env),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=stdout,
            timeout=timeouts.command,
            waiting=f"{tool} is still {doing}",
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{tool} did not finish within {timeouts.command:g}s ({COMMAND_TIMEOUT_ENV}) while {doing}: "
            "it was stopped; raise the limit for large databases"
        ) from None
    except OSError as error:
        raise BackupError(f"cannot run {tool}: {error.strerror}") from None
    if result.returncode != 0:
        reason = _stderr_reason(result.stderr, url)
        if result.returncode < 0:
            killed_by = signal.Signals(-result.returncode)
            reason = f"killed by {killed_by.name}{' (file size limit exceeded)' if killed_by == signal.SIGXFSZ else ''}"
        if DISK_FULL_STDERR.search(reason):
            where = f" {written}" if written is not None else ""
            raise BackupError(
                f"{tool} ran out of room writing{where} (disk full or file size limit): {reason}; "
                "free space and retry; nothing was changed"
            )
        raise BackupError(f"{tool} failed while {doing}: {reason}")
    return result.stdout if isinstance(result.stdout, bytes) else None


WAIT_NOTICE_SECONDS = 5.0


def _run_saying_waits(
    argv: list[str], *, env: dict[str, str], stdin: Any, stdout: Any, timeout: float, waiting: str
) -> subprocess.CompletedProcess[bytes]:
    """subprocess.run with a wall-clock limit that says, once, what a run longer than a few seconds waits for."""
    from .runner import say

    with subprocess.Popen(argv, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + timeout
        try:
            out, err = process.communicate(timeout=min(WAIT_NOTICE_SECONDS, timeout))
        except subprocess.TimeoutExpired:
            say(f"{waiting} after {WAIT_NOTICE_SECONDS:g}s (a lock another session holds? up to {timeout:g}s)")
            try:
                out, err = process.communicate(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise
        return subprocess.CompletedProcess(argv, process.returncode, out, err)


def _stderr_reason(stderr: bytes, url: URL | None) -> str:
    """Every stderr line that names an error or a refused permission (the last line alone often hides it)."""
    lines = [" ".join(line.split()) for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    chosen = list(dict.fromkeys(line for line in lines if IMPORTANT_STDERR.search(line))) or lines[-1:]
    if len(chosen) > 8:
        chosen = [*chosen[:8], f"(+{len(chosen) - 8} more)"]
    return mask_text("; ".join(chosen) or "no error output", *([url] if url is not None else []))


def _pg_conninfo(url: URL, timeouts: Timeouts) -> str:
    """A libpq connection string (no password): handles database names that psql would parse as options."""
    host = url.host or _query_value(url, "host") or "localhost"
    parts = {
        "host": host,
        "port": str(url.port or _query_value(url, "port") or 5432),
        "user": url.username or "",
        "dbname": url.database or "",
        "connect_timeout": str(timeouts.connect_seconds),
        "sslmode": _query_value(url, "sslmode") or "",
    }
    return " ".join(f"{key}={_conninfo_quote(value)}" for key, value in parts.items() if value)


def _mysql_args(url: URL) -> list[str]:
    socket = _query_value(url, "unix_socket")
    args = (
        [f"--socket={socket}"]
        if socket
        else ["--protocol=tcp", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
    )
    if url.username:
        args += ["-u", url.username]
    return args


def _query_value(url: URL, key: str) -> str | None:
    value = url.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None


# ---------------------------------------------------------------------------------------------------------------------
# Files


@contextmanager
def _temp_beside(target: Path) -> Iterator[Path]:
    """A temporary file in the target's directory (so the final rename is atomic), removed unless renamed away."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _write_failure(error, target) from None
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + extra) for extra in SQLITE_SIDECARS)):
            with suppress(OSError):
                leftover.unlink()


def _write_failure(error: OSError, target: Path) -> BackupError:
    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return BackupError(
            f"no room to write {target}: {os.strerror(error.errno)} (disk full or file size limit); "
            "free space and retry; nothing was changed"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BackupError(f"cannot write {target}: {os.strerror(error.errno)}; choose a writable location")
    return BackupError(f"cannot write {target}: {error.strerror or error}")


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    """Make a rename durable; some filesystems cannot fsync directories, which is harmless."""
    with suppress(OSError):
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _head(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _same_path(first: Path, second: Path) -> bool:
    """The same file, through symlinks, hard links or another spelling of the path."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _now() -> datetime:
    """UTC now, or SOURCE_DATE_EPOCH when set (reproducible outputs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise BackupError(
            f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp: unset it or give whole seconds"
        ) from None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_+-]+", "_", text).strip("_")


def _read_only_uri(path: Path) -> str:
    """A SQLite URI that opens the file read-only and never creates it (relative paths and odd characters work)."""
    return f"{Path(os.path.abspath(path)).as_uri()}?mode=ro"


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _my_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _conninfo_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
