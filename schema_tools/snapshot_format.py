"""The snapshot file: a versioned, byte-stable JSON document of one schema, and its reader (which upgrades old ones)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SchemaToolsError

FORMAT = "schema-tools snapshot"
# The format this version writes. A reader takes every version up to it (older ones through _UPGRADES) and
# refuses newer ones: a newer schema-tools wrote them, and guessing at fields it added would give a wrong diff.
VERSION = 1
SUFFIX = ".json"

# version n -> the function that turns a version-n document into version n+1; empty while only version 1 exists.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class SnapshotError(SchemaToolsError):
    """A snapshot file that cannot be read: missing, not a snapshot, or written by a newer schema-tools."""


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One schema as data: tables (columns, keys, indexes, constraints), enums, views, the revision and dialect.

    A snapshot is a source wherever a database is (diff, erd, draft); to_json() is byte-stable for one schema.
    `path` is where it was read from, if anywhere (only for labels; it is not part of the document).
    """

    document: Mapping[str, Any]
    path: str | None = field(default=None, compare=False)

    @property
    def version(self) -> int:
        return int(self.document["version"])

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name of the database the snapshot was taken from."""
        return str(self.document["dialect"])

    @property
    def revision(self) -> tuple[str, ...]:
        """The database's Alembic revision(s) when it was taken; empty when it had none."""
        return tuple(self.document["revision"])

    @property
    def source(self) -> str:
        """The password-free label of the database it was taken from."""
        return str(self.document["source"])

    @property
    def tables(self) -> dict[str, Any]:
        return dict(self.document["tables"])

    @property
    def views(self) -> dict[str, Any]:
        return dict(self.document["views"])

    @property
    def enums(self) -> dict[str, list[str]]:
        return {name: list(labels) for name, labels in self.document["enums"].items()}

    def to_json(self) -> str:
        """The document as canonical JSON: sorted keys, two-space indent, one trailing newline, no timestamps."""
        return json.dumps(self.document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the snapshot to `path` (UTF-8); returns the path."""
        target = Path(path)
        target.write_text(self.to_json(), encoding="utf-8")
        return target

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        revision = ", ".join(self.revision) or "no revision"
        return f"<Snapshot {self.dialect}: {len(self.document['tables'])} tables, {revision}, of {self.source}>"

    def label(self) -> str:
        """How diffs and diagrams name this snapshot: its file name, else what it was taken from."""
        return f"snapshot {Path(self.path).name}" if self.path else f"snapshot of {self.source}"


def is_snapshot_path(value: object) -> bool:
    """A string naming a .json file: a snapshot (URLs, revisions and module:attribute paths never end so)."""
    return isinstance(value, str | Path) and "://" not in str(value) and str(value).lower().endswith(SUFFIX)


def read_snapshot(path: str | Path) -> Snapshot:
    """Read a snapshot file, upgrading an older format version; a newer or foreign file is one line of error."""
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(
            f"no snapshot at {location}: write one with `schema-tools snapshot -o {location}`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SnapshotError(f"cannot read the snapshot {location}: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{location} is not a snapshot: invalid JSON ({error.msg}, line {error.lineno})") from None
    return Snapshot(upgraded(document, str(location)), path=str(location))


def upgraded(document: Any, where: str = "the snapshot") -> dict[str, Any]:
    """The document in the current format version; older versions pass through each upgrade step in turn."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SnapshotError(f'{where} is not a schema-tools snapshot (no "format": "{FORMAT}")')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(f"{where} has no valid format version: {version!r}")
    if version > VERSION:
        raise SnapshotError(
            f"{where} is snapshot format version {version}, newer than this schema-tools reads ({VERSION}): "
            "upgrade schema-tools to read it"
        )
    while version < VERSION:
        document = _UPGRADES[version](document)
        version = document["version"]
    missing = [key for key in ("dialect", "revision", "source", "tables", "views", "enums") if key not in document]
    if missing:
        raise SnapshotError(f"{where} lacks {', '.join(missing)}: it is damaged, take the snapshot again")
    return dict(document)
