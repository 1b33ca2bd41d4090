"""SQLite rebuild facts: which changes Alembic's batch mode makes by copying the whole table, and table bytes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# ALTER TABLE on SQLite adds or renames a column; everything else is a batch "move and copy" rebuild.
REBUILT_KINDS = frozenset(
    {
        "remove_column", "modify_type", "modify_nullable", "modify_default", "modify_comment",
        "add_constraint", "remove_constraint", "add_fk", "remove_fk",
    }
)  # fmt: skip
LOCK = "the database write lock (RESERVED, then EXCLUSIVE at commit)"


def table_bytes(connection: Connection, table: str) -> int | None:
    """The table's pages from the dbstat virtual table, where SQLite was built with it."""
    try:
        size = connection.execute(sa.text("SELECT SUM(pgsize) FROM dbstat WHERE name = :name"), {"name": table})
        value = size.scalar()
    except sa.exc.DBAPIError:
        return None
    return None if value is None else int(value)
