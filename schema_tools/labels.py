"""Short labels for what a command works on: password-free, and the same on every machine."""

from __future__ import annotations

from typing import TypeGuard

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .connect import default_url, mask_url, parse_url, sqlite_path
from .dialects import backend_of

SchemaSource = MetaData | str | URL | Engine | Connection | None


def is_url(value: object) -> bool:
    """True for a URL object or a string that looks like dialect://..."""
    return isinstance(value, URL) or (isinstance(value, str) and "://" in value)


def is_metadata_path(value: object) -> TypeGuard[str]:
    """True for a "module:attribute" string."""
    return isinstance(value, str) and "://" not in value and ":" in value


def is_revision(value: object) -> bool:
    """True for a revision id or symbol ("head", "base", "55221d9084c8", "head-1")."""
    return isinstance(value, str) and not is_url(value) and not is_metadata_path(value)


def _url_label(url: URL) -> str:
    """A database file shows only its name (machine-independent); a server URL is shown without its password."""
    backend = backend_of(url)
    if not backend.file_based:
        return mask_url(url)
    path = sqlite_path(url)
    return f"{backend.name}:///{path.name}" if path else f"{backend.name} (memory)"


def describe(source: SchemaSource) -> str:
    """A short, password-free and machine-independent label: database files show only their name."""
    if isinstance(source, MetaData):
        return f"models ({len(source.tables)} tables)"
    if source is None:
        return describe(default_url())
    if isinstance(source, Engine | Connection):
        return describe(source.engine.url if isinstance(source, Connection) else source.url)
    if is_url(source):
        return _url_label(parse_url(source))
    if is_metadata_path(source):
        return f"models ({source})"
    return f"revision {source}"
