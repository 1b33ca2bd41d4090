"""The backend registry: one Backend subclass per database, looked up by dialect name, URL or connection."""

from __future__ import annotations

from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url

from .base import Backend
from .mysql import MySQL
from .postgresql import PostgreSQL
from .sqlite import SQLite

__all__ = ["BACKENDS", "IN_MEMORY_URL", "STRICTEST", "SCRATCH", "Backend", "backend_named", "backend_of", "register"]

_REGISTRY: dict[str, type[Backend]] = {}


def register(backend: type[Backend]) -> type[Backend]:
    """Add a backend; a fourth database means one new module and one call here."""
    for name in backend.dialect_names:
        _REGISTRY[name] = backend
    return backend


for _backend in (SQLite, PostgreSQL, MySQL):
    register(_backend)

# With no database named: revisions are linted by the strictest backend's rules, and measured in memory.
STRICTEST: Backend = PostgreSQL("postgresql")
IN_MEMORY_URL = "sqlite://"

# The supported backends, in the order messages and test matrices list them.
BACKENDS: tuple[Backend, ...] = (SQLite("sqlite"), PostgreSQL("postgresql"), MySQL("mysql"))
# The backend of throwaway databases (the schema at a revision, scratch copies): a file, no server needed.
SCRATCH: Backend = BACKENDS[0]


def backend_named(dialect_name: str) -> Backend:
    """The backend for a SQLAlchemy dialect name (`mariadb` is MySQL's); unknown names get the cautious base."""
    backend = _REGISTRY.get(dialect_name.split("+", 1)[0])
    return backend(dialect_name) if backend is not None else Backend(dialect_name)


def backend_of(source: str | URL | Engine | Connection | Dialect) -> Backend:
    """The backend behind a dialect name, URL, Engine, Connection or Dialect."""
    if isinstance(source, str):
        return backend_named(make_url(source).get_backend_name() if "://" in source else source)
    if isinstance(source, URL):
        return backend_named(source.get_backend_name())
    if isinstance(source, Engine | Connection):
        return backend_named(source.dialect.name)
    return backend_named(source.name)
