"""The views comparator: views the models declare (schema_tools.views) against the database's, by definition.

Both definitions are compared in one normalised spelling (dialects/base_views.normalized): what the
database reports is its own respelling of what it was given, so an exact comparison would always differ.
A declared view the database lacks is add_view; one whose definition reads differently is replace_view
(safe to run: it only re-creates the view); a view only the database has is remove_view, and only when the
models say they declare every view (schema_tools.views.views_complete).

Creates and replaces go after the tables' operations (a view may read a column they add); drops go
first. A changed view that reads a column or table the same upgrade drops or retypes is dropped first
and created again last, instead of replaced, so the DROP COLUMN does not meet it.
"""

from __future__ import annotations

from typing import Any

from alembic.operations import ops
from alembic.util import DispatchPriority, PriorityDispatchResult

from ..changes import flatten
from ..dialects import backend_of
from ..dialects.base_views import LiveView, Usage, ViewCatalog, normalized
from ..view_ops import CreateViewOp, DropViewOp, ReplaceViewOp, one_line
from ..views import ViewDefinition, declared_views, declares_every_view
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.views"


def _touched(upgrade_ops: ops.UpgradeOps) -> set[tuple[str, str | None]]:
    """(table, column) the tables' operations drop or retype; (table, None) for a dropped table."""
    touched: set[tuple[str, str | None]] = set()
    for diff in flatten(upgrade_ops.as_diffs()):
        if diff[0] == "remove_table":
            touched.add((diff[1].name, None))
        elif diff[0] == "remove_column":
            touched.add((diff[2], diff[3].name))
        elif diff[0] == "modify_type":
            touched.add((diff[2], diff[3]))
    return touched


def _meets(usage: Usage, touched: set[tuple[str, str | None]]) -> bool:
    return any(pair in usage or (pair[1] is None and (pair[0], None) in usage) for pair in touched)


class _Plan:
    """The view operations, split into those that run before the tables' operations and those after."""

    def __init__(self, catalog: ViewCatalog, connection: Any, upgrade_ops: ops.UpgradeOps) -> None:
        self.catalog, self.connection = catalog, connection
        self.touched = _touched(upgrade_ops)
        self.usage: dict[str, Usage] | None = None
        self.first: list[ops.MigrateOperation] = []
        self.last: list[ops.MigrateOperation] = []

    def _reads_touched(self, name: str) -> bool:
        if not self.touched:
            return False
        if self.usage is None:
            self.usage = self.catalog.usage(self.connection)
        return _meets(self.usage.get(name, frozenset()), self.touched)

    def replace(self, live: LiveView, sql: str, materialized: bool) -> None:
        old = one_line(live.definition)
        if self._reads_touched(live.name):
            self.first.append(DropViewOp(live.name, old, materialized=live.materialized))
            self.last.append(CreateViewOp(live.name, sql, materialized=materialized))
            return
        self.last.append(
            ReplaceViewOp(live.name, sql, old, materialized=materialized, old_materialized=live.materialized)
        )


def _compare(plan: _Plan, declared: dict[str, ViewDefinition], live: dict[str, LiveView], dialect: Any) -> None:
    here = plan.catalog.schemas(plan.connection)
    for name, definition in sorted(declared.items()):
        sql = definition.sql(dialect)
        materialized = definition.materialized and plan.catalog.materialized
        current = live.get(name)
        if current is None:
            plan.last.append(CreateViewOp(name, sql, materialized=materialized))
        elif current.materialized != materialized or normalized(current.definition, here) != normalized(sql, here):
            plan.replace(current, sql, materialized)


def compare_views(autogen_context: Any, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]) -> Any:
    """An autogenerate comparator over the default schema's views (it runs after the tables' comparators)."""
    metadata = autogen_context.metadata
    declared, complete = declared_views(metadata), declares_every_view(metadata)
    connection = autogen_context.connection
    if (not declared and not complete) or connection is None or None not in schemas:
        return PriorityDispatchResult.CONTINUE
    catalog = backend_of(connection).view_catalog()
    live = catalog.views(connection)
    plan = _Plan(catalog, connection, upgrade_ops)
    _compare(plan, declared, live, autogen_context.dialect)
    if complete:
        for name in sorted(set(live) - set(declared)):
            view = live[name]
            plan.first.append(DropViewOp(name, one_line(view.definition), materialized=view.materialized))
    upgrade_ops.ops[:0] = plan.first
    upgrade_ops.ops.extend(plan.last)
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(compare_views, "schema", "views", priority=DispatchPriority.LAST)


_register_plugin()
