"""SQLite backups through the online backup API (never `cp`), checked with integrity_check, restored in one step."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from ..backup_files import head, replace_durably, same_path, temp_beside, with_sidecars
from ..backup_format import VERSION_TABLE, BackupFormat, Contents, Job, quote_double
from ..errors import BackupError, DatabaseNotFound
from ..tools import LOCK_TIMEOUT_ENV, Timeouts
from .sqlite_files import sqlite_path

SQLITE_HEADER = b"SQLite format 3\x00"
# The files beside a database that belong to it: a backup must never replace them, a restore never read them.
JOURNALS = ("-wal", "-shm", "-journal")
BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
# The order a schema copy creates objects in: tables before the indexes, views and triggers on them.
_CREATE_ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}


class _LockWaitExpired(BackupError):
    """Raised from SQLite's backup progress callback to stop retrying a busy database."""


class SQLiteBackup(BackupFormat):
    """A backup is a self-contained SQLite file (rollback journal, no -wal) made by the online backup API."""

    description = "a SQLite database"

    def sniff(self, head: bytes) -> bool:
        return head.startswith(SQLITE_HEADER)

    def verify(self, path: Path, timeouts: Timeouts) -> None:
        check_sqlite_file(path, f"backup {path}")

    def source_file(self, job: Job) -> Path:
        """The SQLite file to back up: it exists, is a file and starts with the SQLite header."""
        source = sqlite_path(job.url)
        if source is None:
            raise BackupError("cannot back up an in-memory SQLite database: give a file URL (sqlite:///path.db)")
        if not source.exists():
            raise DatabaseNotFound(f"SQLite database file not found: {source}: nothing to back up")
        if not source.is_file():
            raise BackupError(f"{source} is not a file: give the SQLite database file in the URL")
        first = head(source, len(SQLITE_HEADER))
        if not first:
            raise BackupError(
                f"{source} is an empty file (0 bytes), not a SQLite database with tables: nothing to back up"
            )
        if first != SQLITE_HEADER:
            raise BackupError(f"{source} is not a SQLite database (no SQLite header): check the URL")
        return source

    def start_revision(self, job: Job) -> tuple[str, ...]:
        return read_sqlite(self.source_file(job)).revision

    def dump(self, job: Job, temp: Path, target: Path) -> Contents:
        """Copy with the backup API, make the copy a self-contained rollback-journal file, and check it."""
        source, timeouts = self.source_file(job), job.timeouts
        try:
            reader = sqlite3.connect(read_only_uri(source), uri=True, timeout=timeouts.lock)
            try:
                writer = sqlite3.connect(temp)
                try:
                    copy_all(reader, writer, timeouts.lock)
                    writer.execute("PRAGMA journal_mode=DELETE")  # a single file, even when the source uses WAL
                finally:
                    writer.close()
            finally:
                reader.close()
        except _LockWaitExpired:
            raise BackupError(
                f"backup waited {timeouts.lock:g}s ({LOCK_TIMEOUT_ENV}) for another connection to release "
                f"{source.name}: finish or close it and retry; nothing was written"
            ) from None
        except sqlite3.Error as error:
            raise sqlite_failure(error, f"backing up {source.name}", target) from None
        check_sqlite_file(temp, f"the new backup of {source.name}")
        return read_sqlite(temp)

    def prepare_restore(self, job: Job, path: Path) -> None:
        """An in-memory target has nowhere to go; the backup being the target itself would hang."""
        database = sqlite_path(job.url)
        if database is None:
            raise BackupError("cannot restore into an in-memory SQLite database: give a file URL (sqlite:///path.db)")
        for kept in with_sidecars(database, JOURNALS):
            if same_path(path, kept):
                raise BackupError(
                    f"refusing to restore {path} onto itself: it is the target database ({kept.name}); "
                    "give a backup file, not the database"
                )

    def restore(self, job: Job, path: Path) -> None:
        """One backup-API step (pages=-1) in one write transaction: others see the old or the new database."""
        target, timeouts = sqlite_path(job.url), job.timeouts
        assert target is not None  # prepare_restore refused in-memory targets
        if target.exists():
            if not target.is_file():
                raise BackupError(f"{target} is not a file: the URL must name a SQLite database file")
            first = head(target, len(SQLITE_HEADER))
            if first and first != SQLITE_HEADER:
                raise BackupError(f"{target} is not a SQLite database: refusing to overwrite it; check the URL")
            _refuse_wal_page_size_change(path, target)
            _copy_into(path, target, timeouts)
            return
        if not target.parent.is_dir():
            raise DatabaseNotFound(f"directory {target.parent} does not exist: create it or fix the URL")
        with temp_beside(target, JOURNALS) as temp:  # a new database appears complete or not at all
            _copy_into(path, temp, timeouts)
            replace_durably(temp, target)

    def clone(self, source: Job, target: Job) -> None:
        """Replay the CREATE statements of sqlite_master, tables first."""
        source_path, target_path = sqlite_path(source.url), sqlite_path(target.url)
        if source_path is None or target_path is None:
            raise BackupError("an in-memory SQLite database has no schema to copy")
        reader = sqlite3.connect(read_only_uri(source_path), uri=True)
        try:
            rows = reader.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        finally:
            reader.close()
        writer = sqlite3.connect(target_path)
        try:
            with writer:
                for _kind, _name, sql in sorted(rows, key=lambda row: (_CREATE_ORDER.get(row[0], 9), row[1])):
                    writer.execute(sql)
        except sqlite3.Error as error:
            raise BackupError(f"copying the SQLite schema failed: {error}") from None
        finally:
            writer.close()


def read_sqlite(path: Path) -> Contents:
    """Revision and row counts of a SQLite file, read-only."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                    "ORDER BY name"
                )
            ]
            counts = tuple(
                (name, int(connection.execute(f"SELECT count(*) FROM {quote_double(name)}").fetchone()[0]))
                for name in names
            )
            revision: tuple[str, ...] = ()
            if VERSION_TABLE in names:
                versions = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")
                revision = tuple(sorted(str(r[0]) for r in versions))
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise sqlite_failure(error, f"reading {path.name}", path) from None
    return Contents(revision, counts)


def check_sqlite_file(path: Path, label: str) -> None:
    """Opens as SQLite and PRAGMA integrity_check says ok."""
    if head(path, len(SQLITE_HEADER)) != SQLITE_HEADER:
        raise BackupError(f"{label} is not a SQLite database (no SQLite header): restore from another backup")
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True)
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


def copy_all(source: sqlite3.Connection, destination: sqlite3.Connection, wait: float) -> None:
    """The whole database in one backup step; Python retries a busy step forever, so stop after `wait` seconds."""
    deadline = time.monotonic() + wait

    def stop_when_stuck(status: int, remaining: int, total: int) -> None:
        if status in BUSY_CODES and time.monotonic() >= deadline:
            raise _LockWaitExpired

    source.backup(destination, pages=-1, progress=stop_when_stuck)


def sqlite_failure(error: sqlite3.Error, doing: str, path: Path) -> BackupError:
    """A SQLite error in one line: disk full, locked and not-a-database each name their fix."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (13, 10):  # SQLITE_FULL, SQLITE_IOERR (a write refused with EFBIG is an IOERR)
        return BackupError(
            f"{doing} failed writing {path}: disk full, file size limit or I/O error ({error}); "
            "free space and retry; nothing was changed"
        )
    if primary in BUSY_CODES:
        return BackupError(f"{doing} failed: {path.name} is locked by another connection; retry when it is done")
    if primary in (26, 11):  # SQLITE_NOTADB, SQLITE_CORRUPT
        return BackupError(f"{doing} failed: {error}; the file is not a usable SQLite database; nothing was changed")
    return BackupError(f"{doing} failed: {error}; nothing was changed")


def read_only_uri(path: Path) -> str:
    """A SQLite URI that opens the file read-only and never creates it (relative paths and odd characters work)."""
    return f"{Path(os.path.abspath(path)).as_uri()}?mode=ro"


def _refuse_wal_page_size_change(path: Path, target: Path) -> None:
    """SQLite's backup API cannot change the page size of a WAL-mode database; say so instead of 'readonly'."""
    backup_header, target_header = head(path, 100), head(target, 100)
    if len(backup_header) < 20 or len(target_header) < 20 or target_header[18:20] != b"\x02\x02":
        return
    backup_size, target_size = (int.from_bytes(h[16:18], "big") or 65536 for h in (backup_header, target_header))
    if backup_size != target_size:
        raise BackupError(
            f"{target.name} is in WAL mode with {target_size}-byte pages and the backup has {backup_size}-byte pages, "
            "which SQLite cannot restore in place: run PRAGMA journal_mode=DELETE on it with no other connection "
            "open, then retry; nothing was changed"
        )


def _copy_into(path: Path, target: Path, timeouts: Timeouts) -> None:
    try:
        reader = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeouts.lock)
        try:
            writer = sqlite3.connect(target, timeout=timeouts.lock)
            try:
                copy_all(reader, writer, timeouts.lock)
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
        raise sqlite_failure(error, f"restoring {target.name}", target) from None
