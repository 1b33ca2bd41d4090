"""What a backup is: the Backup result, its sidecar manifest, and the unique names new backups get."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .backup_files import now, safe_name, write_failure
from .errors import BackupError

MANIFEST_FORMAT = 1


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
            f"{shown_path(self.path)}: {self.bytes} bytes, {len(self.rows)} tables, {total} rows"
        )


def shown_path(path: Path) -> str:
    """A path as the user can open it: relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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
    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    name_stem = f"{safe_name(stem) or 'database'}.{safe_name(label or '') or 'base'}.{stamp}"
    for counter in itertools.count(1):
        candidate = folder / f"{name_stem}.{counter}.{safe_name(suffix) or 'backup'}"
        if manifest_path(candidate).exists():
            continue
        try:
            handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as error:
            raise write_failure(error, candidate) from None
        os.close(handle)
        return candidate
    raise AssertionError("unreachable")  # pragma: no cover
