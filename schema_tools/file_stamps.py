"""File stamps (mtime, size, inode): whether something read from files may be reused or must be read again."""

from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ["RACY_NS", "Stamp", "settled", "stamp", "tree"]

# An mtime moves in ticks (a few ms on ext4, 2 s on FAT), so a file changed twice within one tick keeps its stamp.
# What was read from a file changed less than this long before the read is therefore never reused (git's "racy" rule).
RACY_NS = 2_000_000_000

Stamp = tuple[str, int, int, int]  # path, mtime in ns, size, inode; (path, -1, -1, -1) when it does not exist


def stamp(path: str | os.PathLike[str]) -> Stamp:
    """What any edit, replacement or removal of the file changes."""
    name = os.fspath(path)
    try:
        found = os.stat(name)
    except OSError:
        return (name, -1, -1, -1)
    return (name, found.st_mtime_ns, found.st_size, found.st_ino)


def tree(folder: str | os.PathLike[str]) -> tuple[Stamp, ...]:
    """The stamps of every file under `folder` but __pycache__'s, in a stable order; the folder's own when missing."""
    if not os.path.isdir(folder):
        return (stamp(folder),)
    found: list[Stamp] = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        found.extend(stamp(os.path.join(root, name)) for name in sorted(files))
    return tuple(found)


def settled(stamps: Iterable[Stamp], read_ns: int) -> bool:
    """Every file last changed well before `read_ns` (time.time_ns() taken before it was read): safe to reuse."""
    return all(mtime < read_ns - RACY_NS for _, mtime, _, _ in stamps)
