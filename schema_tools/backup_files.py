"""Atomic, durable file writes for backups: temp files beside the target, fsync, checksums, safe names."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from .errors import BackupError


@contextmanager
def temp_beside(target: Path, sidecars: Sequence[str] = ()) -> Iterator[Path]:
    """A temporary file in the target's directory (so the final rename is atomic), removed unless renamed away,
    with any `sidecars` (e.g. a database's journal files: the temp name plus each suffix)."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise write_failure(error, target) from None
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + extra) for extra in sidecars)):
            with suppress(OSError):
                leftover.unlink()


def write_failure(error: OSError, target: Path) -> BackupError:
    """A failed write in one line: disk full and permission problems name their fix."""
    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return BackupError(
            f"no room to write {target}: {os.strerror(error.errno)} (disk full or file size limit); "
            "free space and retry; nothing was changed"
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BackupError(f"cannot write {target}: {os.strerror(error.errno)}; choose a writable location")
    return BackupError(f"cannot write {target}: {error.strerror or error}")


def fsync(path: Path) -> None:
    """Flush a file's contents to disk before it is renamed into place."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(path: Path) -> None:
    """Make a rename durable; some filesystems cannot fsync directories, which is harmless."""
    with suppress(OSError):
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def replace_durably(temp: Path, target: Path) -> None:
    """fsync `temp`, rename it over `target` and fsync the directory: the target is old or new, never partial."""
    try:
        fsync(temp)
        os.replace(temp, target)
        fsync_directory(target.parent)
    except OSError as error:
        raise write_failure(error, target) from None


def sha256(path: Path) -> str:
    """The file's SHA-256, hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a file, empty when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def same_path(first: Path, second: Path) -> bool:
    """The same file, through symlinks, hard links or another spelling of the path."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def with_sidecars(path: Path, sidecars: Sequence[str]) -> list[Path]:
    """A file and the files that belong to it (a database and its journals)."""
    return [path, *(path.with_name(path.name + extra) for extra in sidecars)]


def now() -> datetime:
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


def safe_name(text: str) -> str:
    """Text usable in a file name on every platform."""
    return re.sub(r"[^A-Za-z0-9_+-]+", "_", text).strip("_")
