"""Where a guarded migration's backup goes: --backup-dir, backup-dir in [tool.schema-tools], else beside it."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL

from .config import project_of
from .connect import sqlite_path
from .dialects import backend_of
from .errors import BackupError


def backup_folder(url: URL, config: Config, backup_dir: str | os.PathLike[str] | None) -> Path:
    """The backup folder, made and checked writable before anything runs."""
    project = project_of(config)
    if backup_dir is not None:
        directory = Path(backup_dir)
    elif project.backup_dir is not None:
        directory = project.backup_dir
    elif (path := sqlite_path(url) if backend_of(url).file_based else None) is not None:
        directory = path.parent / "backups"
    else:
        directory = project.root / "backups"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(
            f"cannot create the backup folder {directory}: {error.strerror}: pass --backup-dir to a writable folder "
            "(or --no-backup)"
        ) from None
    if not os.access(directory, os.W_OK):
        raise BackupError(f"the backup folder {directory} is not writable: pass --backup-dir to a writable folder")
    return directory
