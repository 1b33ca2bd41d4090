"""A primary key column the models call nullable, on a backend where every primary key column is NOT NULL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..dialects import backend_of
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.primary_keys"


def key_columns_are_not_null(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: sa.Column[Any],
    metadata_col: sa.Column[Any],
) -> Any:
    """STOP (no change) for a nullable primary key column in the models that the database keeps NOT NULL.

    PostgreSQL and MySQL make every primary key column NOT NULL whatever CREATE TABLE says (a schema reflected
    from SQLite has such columns), so the ALTER Alembic would write cannot even run; SQLite keeps NULLs there.
    """
    from alembic.util import PriorityDispatchResult

    key = metadata_col.primary_key and conn_col.primary_key
    loosened = metadata_col.nullable is True and conn_col.nullable is False
    if key and loosened and backend_of(autogen_context.dialect).primary_keys_not_null:
        alter_column_op.existing_nullable = conn_col.nullable  # as Alembic's own nullable comparator records it
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    import alembic.autogenerate  # noqa: F401  (Alembic's own comparators register first)
    from alembic.util import DispatchPriority

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(key_columns_are_not_null, "column", "nullable", priority=DispatchPriority.FIRST)


_register_plugin()
