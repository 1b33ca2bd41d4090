"""The compare options env.py and schema_tools both give Alembic, so a diff says what autogenerate would see."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from .comparators import PLUGIN_NAMES
from .comparators.registration import new_plugin
from .config import alembic_config, load_metadata, project_root
from .dialects import BACKENDS, backend_named
from .sql_literals import outside_literals

__all__ = ["alembic_config", "compare_options", "load_metadata", "project_root"]

VERSION_TABLE = "alembic_version"
# Tables schema_tools itself keeps in the target database (applied-revision checksums, see migrate.py).
INTERNAL_TABLES = frozenset({VERSION_TABLE, "schema_tools_applied"})

_TRUE = {"1", "true", "'1'", "'true'"}
_FALSE = {"0", "false", "'0'", "'false'"}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Reflect everything but the tables schema_tools and Alembic keep for themselves."""
    return not (type_ == "table" and name in INTERNAL_TABLES)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare everything but the bookkeeping tables."""
    return not (type_ == "table" and name in INTERNAL_TABLES)


def _normalize_default(text: str | None, column: sa.Column[Any] | None) -> str | None:
    """One spelling of a server default, whichever backend reflected it: what two defaults are compared by.

    Each backend respells what it reflects in its own way ('x'::text, current_timestamp()); a default is
    compared the same way on every backend, so every backend's respelling applies.
    """
    if text is None:
        return None
    value = outside_literals(text.strip(), lambda part: re.sub(r"\s+", " ", part.lower()))
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    for backend in BACKENDS:
        value = backend.respell_default(value)
    if value == "null":  # DEFAULT NULL is what a column without a default gets: PostgreSQL and MariaDB drop it
        return None
    if value == "current_timestamp":
        return value
    if column is not None and isinstance(column.type, sa.Boolean):
        if value in _TRUE:
            return "true"
        if value in _FALSE:
            return "false"
    return value.strip("'")


def compare_server_default(
    context: Any,
    inspected_column: sa.Column[Any],
    metadata_column: sa.Column[Any],
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Treat spellings of one default as equal (MariaDB reflects now() as current_timestamp(), false as 0).

    Returns False when equal after normalising, else None so Alembic's own comparison decides. Kept for
    env.py files that pass it to context.configure themselves; compare_options uses the plugin below.
    """
    left = _normalize_default(inspected_default, metadata_column)
    right = _normalize_default(rendered_metadata_default, metadata_column)
    plain = isinstance(metadata_default, sa.DefaultClause | None)  # DEFAULT NULL and no default are one
    if left == right and (left is not None or (plain and (inspected_default, metadata_default) != (None, None))):
        return False
    return None


PLUGIN_NAME = "schema_tools.autogenerate.server_defaults"


def _rendered(default: Any, dialect: Any) -> str | None:
    """A plain server default as SQL text; None for computed and identity columns (Alembic compares those)."""
    if not isinstance(default, sa.DefaultClause):
        return None
    if isinstance(default.arg, str):
        return default.arg
    return str(default.arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _equal_spellings(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: sa.Column[Any],
    metadata_col: sa.Column[Any],
) -> Any:
    """An autogenerate comparator: STOP (no change) when the two defaults are one after normalising.

    Alembic 1.20 crashes with a compare_server_default callable when the database has a computed or
    identity column ('Computed' object has no attribute 'arg'); as a plugin, plain defaults are normalised
    and the rest goes on to Alembic's own computed, identity and dialect comparisons.
    """
    from alembic.util import PriorityDispatchResult

    found, declared = conn_col.server_default, metadata_col.server_default
    if not (isinstance(found, sa.DefaultClause | None) and isinstance(declared, sa.DefaultClause | None)):
        return PriorityDispatchResult.CONTINUE
    inspected = _rendered(found, autogen_context.dialect)
    wanted = _rendered(declared, autogen_context.dialect)
    left, right = _normalize_default(inspected, metadata_col), _normalize_default(wanted, metadata_col)
    if left == right and (inspected, wanted) != (None, None):  # DEFAULT NULL and no default are one
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    from alembic.util import DispatchPriority

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(_equal_spellings, "column", "server_default", priority=DispatchPriority.FIRST)


_register_plugin()


def compare_options(dialect_name: str) -> dict[str, Any]:
    """The options env.py and schema_tools both give Alembic, so a diff says what autogenerate would see."""
    return {
        "compare_type": True,
        "compare_server_default": True,
        "autogenerate_plugins": ["alembic.autogenerate.*", PLUGIN_NAME, *PLUGIN_NAMES],
        "render_as_batch": backend_named(dialect_name).render_as_batch,
        "include_name": include_name,
        "include_object": include_object,
        "version_table": VERSION_TABLE,
    }
