"""The fast cold diff: read the catalog in a few statements, and compare only the tables that differ from the models.

compare_metadata reflects every table into a Table object, one round trip at a time. Here each backend reads its
whole catalog at once (BulkCatalog), every model table is checked against it with Alembic's own column comparators
and strict key and index signatures (cold_tables), and only tables that may differ go on to compare_metadata.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from .cold_columns import ColumnJudge
from .cold_tables import table_unchanged
from .comparators.enums import enum_tables
from .dialects import backend_of
from .settings import INTERNAL_TABLES
from .views import VIEWS_KEY

__all__ = [
    "FAST_DIFF_ENV",
    "fast_autogenerate",
    "fast_diff",
    "forced",
    "narrowed",
    "tables_to_compare",
    "without_gc_pauses",
]

FAST_DIFF_ENV = "SCHEMA_TOOLS_FAST_DIFF"
# The table and schema comparators whose every input the strict signatures cover. Another one registered (a
# user's autogenerate plugin) reads something they may not: then every table is compared.
KNOWN_TABLE_COMPARATORS = frozenset({
    "_compare_indexes_and_uniques", "_compare_foreign_keys", "_compare_table_comment", "compare_checks",
    "compare_generated", "claim_enum_checks",
})  # fmt: skip
KNOWN_SCHEMA_COMPARATORS = frozenset({"_autogen_for_tables", "compare_types", "compare_views"})

_forced: list[bool | None] = [None]


def narrowed(
    options: dict[str, Any], desired: sa.MetaData, tables: Collection[str], dialect: sa.Dialect
) -> tuple[dict[str, Any], sa.MetaData]:
    """`options` and `desired` narrowed to `tables` through Alembic's include hooks (the user's still apply).

    Tables with a named enum column stay in: with them left out, the enum types only they use would look unused.
    """
    keep = frozenset(tables) | enum_tables(desired, dialect)
    if not keep and desired.tables:
        # Alembic pre-caches the tables the hooks let through with filter_names=[tables]; an empty list means
        # no filter to SQLAlchemy, which then reflects every table. One unchanged table keeps the filter real.
        keep = frozenset({min(table.name for table in desired.tables.values())})
    include_name, include_object = options["include_name"], options["include_object"]

    def only_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return (type_ != "table" or name in keep) and include_name(name, type_, parent_names)

    def only_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return (type_ != "table" or name in keep) and include_object(obj, name, type_, reflected, compare_to)

    return {**options, "include_name": only_name, "include_object": only_object}, _subset(desired, keep)


def _subset(metadata: sa.MetaData, tables: Collection[str]) -> sa.MetaData:
    """A MetaData listing only `tables` (the same Table objects): Alembic sorts every table it is given."""
    subset = sa.MetaData(naming_convention=metadata.naming_convention, schema=metadata.schema)
    for key, table in metadata.tables.items():
        if table.name in tables:
            subset._add_table(table.name, table.schema, table)
            assert subset.tables[key] is table
    return subset


def fast_autogenerate(connection: Connection, target_metadata: sa.MetaData, **options: Any) -> dict[str, Any]:
    """`context.configure()`'s options for env.py, with include hooks that skip every table certain to be unchanged.

    Pass the options env.py gives configure() (compare_type, compare_server_default, include_object, plugins...):
    the tables are judged with exactly those, so `alembic revision --autogenerate` writes the same revision. The
    catalog is read on the hooks' first call, which only autogenerate makes: an upgrade pays nothing.
    """
    hooks = _LazyNarrowing(
        connection, target_metadata, {"include_name": _everything, "include_object": _everything, **options}
    )
    return {**options, "include_name": hooks.include_name, "include_object": hooks.include_object}


def _everything(*_arguments: Any) -> bool:
    return True


class _LazyNarrowing:
    """Include hooks that judge the tables once, on first use, then answer from that."""

    def __init__(self, connection: Connection, target_metadata: sa.MetaData, options: dict[str, Any]) -> None:
        self._connection, self._metadata, self._options = connection, target_metadata, options
        self._hooks: dict[str, Any] | None = None

    def _judged(self) -> dict[str, Any]:
        if self._hooks is None:
            tables = tables_to_compare(self._connection, self._metadata, self._options)
            if tables is None:
                self._hooks = self._options
            else:
                self._hooks = narrowed(self._options, self._metadata, tables, self._connection.dialect)[0]
        return self._hooks

    def include_name(self, name: str | None, type_: str, parent_names: Any) -> bool:
        return bool(self._judged()["include_name"](name, type_, parent_names))

    def include_object(self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return bool(self._judged()["include_object"](obj, name, type_, reflected, compare_to))


def fast_diff() -> bool:
    """On unless SCHEMA_TOOLS_FAST_DIFF=0 (or a test forced it): the equivalence tests run both ways."""
    if _forced[0] is not None:
        return _forced[0]
    return os.environ.get(FAST_DIFF_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


@contextmanager
def forced(enabled: bool) -> Iterator[None]:
    """The fast path on or off for the duration, whatever the environment says."""
    before = _forced[0]
    _forced[0] = enabled
    try:
        yield
    finally:
        _forced[0] = before


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection for the duration: the objects made here are freed by reference counting, and
    a full collection over a big schema's objects costs more than the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _comparators_known(autogen_context: AutogenContext) -> bool:
    registry = autogen_context.comparators._registry
    for (target, _qualifier, _priority), entries in registry.items():
        known = {"table": KNOWN_TABLE_COMPARATORS, "schema": KNOWN_SCHEMA_COMPARATORS}.get(target)
        if known is not None and any(function.__name__ not in known for function, _name in entries):
            return False
    return True


def tables_to_compare(connection: Connection, desired: sa.MetaData, options: dict[str, Any]) -> frozenset[str] | None:
    """The tables (of the models or the database) that may differ; None: compare every table, the fast path
    cannot judge this schema. A table left out is one compare_metadata is certain to find no change in."""
    if not fast_diff() or desired.info.get(VIEWS_KEY) or any(t.schema for t in desired.tables.values()):
        return None
    backend = backend_of(connection)
    catalog = backend.bulk_catalog(connection, INTERNAL_TABLES)
    if catalog is None:
        return None
    context = MigrationContext.configure(connection, opts={**options, "target_metadata": desired})
    autogen_context = AutogenContext(context)
    if not _comparators_known(autogen_context):
        return None
    judge = ColumnJudge(autogen_context, backend, catalog)
    unchanged = {
        table.name
        for table in desired.tables.values()
        if table.name in catalog.columns and table_unchanged(table, catalog, judge, backend)
    }
    everything = set(catalog.columns) | catalog.unreadable | {table.name for table in desired.tables.values()}
    return frozenset(everything - unchanged)
