"""backup() and restore(): verified, atomic backups through each backend's own tools, never `cp`."""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

from sqlalchemy.engine import URL

from .backup_files import fsync, fsync_directory, now, same_path, sha256, temp_beside, with_sidecars, write_failure
from .backup_format import Contents
from .backup_jobs import current_timeouts, job_for
from .backup_manifest import MANIFEST_FORMAT, Backup, Manifest, backup_path, manifest_path, read_manifest
from .backup_verify import verify_backup
from .connect import resolve_url, sync_url
from .dialects import Backend, backend_of
from .errors import BackupError
from .tools import COMMAND_TIMEOUT_ENV, CONNECT_TIMEOUT_ENV, LOCK_TIMEOUT_ENV, Timeouts

__all__ = [
    "COMMAND_TIMEOUT_ENV",
    "CONNECT_TIMEOUT_ENV",
    "LOCK_TIMEOUT_ENV",
    "MANIFEST_FORMAT",
    "Backup",
    "Manifest",
    "Timeouts",
    "backup",
    "backup_path",
    "manifest_path",
    "read_manifest",
    "restore",
    "verify_backup",
]


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
    backend = backend_of(parsed)
    backup_format = backend.backup_format()
    if path is not None and directory is not None:
        raise BackupError("give either a backup file (path, -o) or a directory for a new backup name, not both")
    job = job_for(parsed, backup_format, current_timeouts())
    source_file = backup_format.source_file(job)

    reserved: Path | None = None
    if path is not None:
        target = _output_path(path)
    else:
        folder = Path(directory) if directory is not None else (source_file.parent if source_file else Path.cwd())
        stem = source_file.stem if source_file else (parsed.database or "database")
        start = backup_format.start_revision(job)
        target = reserved = backup_path(folder, stem, start, backend.backup_suffix)
    if source_file is not None:
        _refuse_writing_onto(source_file, target, backend)

    try:
        with temp_beside(target, backend.sidecar_suffixes) as temp:
            contents = backup_format.dump(job, temp, target)
            return _publish(temp, target, backend.name, job.label, contents)
    except BaseException:
        if reserved is not None:
            with suppress(OSError):
                if reserved.stat().st_size == 0:
                    reserved.unlink()  # our own empty placeholder: nothing of the user's
        raise


def restore(backup_path: str | os.PathLike[str] | Backup, url: str | URL | None = None) -> None:
    """Replace the database's contents with the backup's: schema, rows and alembic_version.

    The backup is verified completely first (manifest checksum, format, integrity), and the replacement is atomic
    on every backend: a failure at any point leaves the target exactly as it was.
    """
    path = backup_path.path if isinstance(backup_path, Backup) else Path(backup_path).expanduser()
    parsed = sync_url(resolve_url(url))
    backend = backend_of(parsed)
    backup_format = backend.backup_format()
    job = job_for(parsed, backup_format, current_timeouts())
    backup_format.prepare_restore(job, path)
    verify_backup(path, backend.name)
    backup_format.restore(job, path)


def _publish(temp: Path, target: Path, backend: str, source: str, contents: Contents) -> Backup:
    """fsync the verified temp file, write the manifest beside it, then rename both into place."""
    try:
        fsync(temp)
        size = temp.stat().st_size
        digest = sha256(temp)
        manifest = Manifest(
            MANIFEST_FORMAT, backend, source, digest, size, contents.revision, contents.rows, now().isoformat()
        )
        sidecar = manifest_path(target)
        with temp_beside(sidecar) as temp_manifest:
            with open(temp_manifest, "w", encoding="utf-8") as out:
                out.write(manifest.to_json())
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                os.chmod(temp, stat.S_IMODE(target.stat().st_mode))  # an overwritten backup keeps its permissions
            os.replace(temp, target)
            os.replace(temp_manifest, sidecar)
        fsync_directory(target.parent)
    except OSError as error:
        raise write_failure(error, target) from None
    return Backup(target, backend, source, size, contents.rows, contents.revision, digest, sidecar)


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


def _refuse_writing_onto(database: Path, target: Path, backend: Backend) -> None:
    """A backup must never replace the database it copies, nor its -wal/-shm/-journal files."""
    for written in (target, manifest_path(target)):
        for kept in with_sidecars(database, backend.sidecar_suffixes):
            if same_path(written, kept):
                raise BackupError(
                    f"refusing to write the backup to {written}: that is the database being backed up ({kept.name}); "
                    "choose another output path"
                )
