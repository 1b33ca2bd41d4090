"""verify_backup(): a backup file checked completely (manifest, checksum, format) without touching a database."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .backup_files import head, sha256
from .backup_jobs import current_timeouts
from .backup_manifest import Backup, Manifest, read_manifest
from .dialects import BACKENDS, Backend, backend_named
from .errors import BackupError


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
    held = sniff(path)
    if backend is not None and held.name != backend:
        raise BackupError(
            f"{path} is a {held.label} backup but the target is a {label_of(backend)} database: restore it into a "
            f"{held.label} database"
        )
    manifest = read_manifest(path)
    if manifest is not None:
        _check_against_manifest(path, info.st_size, held, manifest)
    held.backup_format().verify(path, current_timeouts())
    return held.name


def sniff(path: Path) -> Backend:
    """The backend a file's first bytes say it is a backup of; anything else is refused."""
    first = head(path, 512)
    for backend in BACKENDS:
        if backend.backup_format().sniff(first):
            return backend
    formats = [backend.backup_format().description for backend in BACKENDS]
    raise BackupError(
        f"{path} is not a backup schema-tools can restore: neither {', '.join(formats[:-1])} nor {formats[-1]}; "
        "check the path"
    )


def label_of(name: str) -> str:
    """How messages name the backend called `name`; an unknown name as it is."""
    backend = backend_named(name)
    return backend.label if backend.supported else name


def _check_against_manifest(path: Path, size: int, held: Backend, manifest: Manifest) -> None:
    if manifest.backend != held.name:
        raise BackupError(
            f"{path.name} holds a {held.label} backup but its manifest says {label_of(manifest.backend)}: the file "
            "was replaced; restore from another backup"
        )
    if manifest.bytes != size:
        raise BackupError(
            f"{path.name} is {size} bytes but its manifest recorded {manifest.bytes}: the backup is truncated or was "
            "changed; restore from another backup"
        )
    digest = sha256(path)
    if digest != manifest.sha256:
        raise BackupError(
            f"checksum mismatch: {path.name} has sha256 {digest[:12]}... but its manifest recorded "
            f"{manifest.sha256[:12]}...: the backup was changed or damaged; restore from another backup"
        )
