"""Backend: everything schema-tools knows about one database backend, as Alembic's DefaultImpl is for DDL."""

from __future__ import annotations

from typing import ClassVar


class Backend:
    """One database backend's facts and behaviour; a subclass per backend lives in its own module here.

    The base class is what schema-tools assumes of a backend it does not know: no identifier limit, no
    transactional DDL, no backup tools. Features that need more refuse it in one line rather than guess.
    """

    # The canonical name used in messages, file names and rule selectors.
    name: ClassVar[str] = "unknown"
    # How messages name the backend.
    label: ClassVar[str] = "an unknown backend"
    # SQLAlchemy dialect names (URL.get_backend_name(), Dialect.name) this backend answers for.
    dialect_names: ClassVar[frozenset[str]] = frozenset()
    # Is it a single file (SQLite) rather than a database on a server?
    file_based: ClassVar[bool] = False
    # Does DDL run inside a transaction, so that a failed revision rolls back whole?
    transactional_ddl: ClassVar[bool] = False
    # Does Alembic need batch mode ("move and copy") for ALTERs on this backend?
    render_as_batch: ClassVar[bool] = False
    # The longest identifier, and whether it is counted in bytes or characters (None: no limit we check).
    identifier_limit: ClassVar[int | None] = None
    identifier_unit: ClassVar[str] = "characters"
    # The sync driver schema-tools reads through when a URL names only the dialect, by dialect name.
    sync_drivers: ClassVar[dict[str, str]] = {}
    # Sync URL driver name -> the async driver an async env.py needs, and async -> sync.
    async_drivers: ClassVar[dict[str, str]] = {}
    sync_of_async: ClassVar[dict[str, str]] = {}
    # Is this backend one schema-tools supports (every feature works on it)?
    supported: ClassVar[bool] = False

    def __init__(self, dialect_name: str = "unknown") -> None:
        self.dialect_name = dialect_name

    def identifier_size(self, name: str) -> int:
        """The size of an identifier in the unit the backend limits."""
        return len(name.encode()) if self.identifier_unit == "bytes" else len(name)

    def __repr__(self) -> str:
        return f"<Backend {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Backend) and (self.name, self.dialect_name) == (other.name, other.dialect_name)

    def __hash__(self) -> int:
        return hash((self.name, self.dialect_name))
