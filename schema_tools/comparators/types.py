"""Column types a backend stores as one though their spellings differ: no change where Alembic would see one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..dialects import backend_of
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.types"


def same_stored_type(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: sa.Column[Any],
    metadata_col: sa.Column[Any],
) -> Any:
    """STOP (no change) when the backend stores the models' type as the inspected one, else CONTINUE.

    Alembic compares the spellings of the two types (with a few blanket synonyms); MySQL reflects a Float(53)
    it created as DOUBLE, PostgreSQL a Float(24) as REAL, and each backend's facts (Backend.same_type) say
    exactly which spellings are one stored type. Anything they do not vouch for goes on to Alembic.
    """
    from alembic.util import PriorityDispatchResult

    dialect = autogen_context.dialect
    if backend_of(dialect).same_type(conn_col.type, metadata_col.type, dialect):
        alter_column_op.existing_type = conn_col.type  # as Alembic's own type comparators record it
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    """Run first among the type comparators (after a user's compare_type, which Alembic registered earlier)."""
    import alembic.autogenerate  # noqa: F401  (Alembic's own comparators register first, a user's compare_type too)
    from alembic.util import DispatchPriority

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(same_stored_type, "column", "types", priority=DispatchPriority.FIRST)


_register_plugin()
