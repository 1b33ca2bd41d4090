"""Database URLs: parsing without echoing the password, and the sync driver schema_tools reads through."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from .dialects import BACKENDS, backend_of
from .errors import ConfigurationError
from .secrets import mask_url

# The async drivers env.py may be configured with, and the sync driver schema_tools reads through.
ASYNC_TO_SYNC: dict[str, str] = {
    async_driver: sync_driver for backend in BACKENDS for async_driver, sync_driver in backend.sync_of_async.items()
}


def parse_url(url: str | URL) -> URL:
    """Parse a URL, with an error that does not echo the URL's password."""
    if isinstance(url, URL):
        return url
    try:
        return make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        raise ConfigurationError(
            f"cannot parse database URL {mask_url(str(url))!r}: expected dialect+driver://user:pass@host/db"
        ) from None


def sync_url(url: str | URL) -> URL:
    """The same database through a sync driver: schema_tools reads synchronously, whatever the app uses."""
    parsed = parse_url(url)
    replacement = backend_of(parsed).sync_of_async.get(parsed.drivername)
    return parsed.set(drivername=replacement) if replacement else parsed


def is_async_url(url: str | URL) -> bool:
    """True for URLs whose driver needs an event loop (aiosqlite, asyncpg, aiomysql...)."""
    parsed = parse_url(url)
    return parsed.drivername in backend_of(parsed).sync_of_async


def read_only_url(url: str | URL, *, brief: bool = False) -> URL:
    """A sync URL that opens the database read-only where the URL can say so (SQLite: mode=ro, never created).

    `brief` (one command) lets a settled SQLite WAL file be opened immutable; see Backend.read_only_url.
    """
    parsed = sync_url(url)
    return backend_of(parsed).read_only_url(parsed, brief=brief)
