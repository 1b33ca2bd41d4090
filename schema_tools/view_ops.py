"""Alembic operations for views: op.create_view, op.drop_view, op.replace_view, their reverses and renderers.

A revision carries the view's SELECT as compiled SQL text, so it runs without importing the app's models;
importing this module (the rendered revision does) registers the three op.* methods.
"""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import MigrateOperation, Operations

from .dialects import backend_named

__all__ = ["IMPORT_LINE", "CreateViewOp", "DropViewOp", "ReplaceViewOp", "one_line"]

# What a rendered revision imports so that op.create_view() and the others exist when it runs.
IMPORT_LINE = "from schema_tools import view_ops  # noqa: F401  (registers op.create_view, drop_view, replace_view)"

_LITERAL = re.compile(r"'(?:[^']|'')*'")


def one_line(sql: str) -> str:
    """A SELECT on one line (a deparsed definition spans many); string literals keep their own spaces."""
    pieces: list[str] = []
    position = 0
    for literal in _LITERAL.finditer(sql):
        pieces.extend((re.sub(r"\s+", " ", sql[position : literal.start()]), literal.group()))
        position = literal.end()
    pieces.append(re.sub(r"\s+", " ", sql[position:]))
    return "".join(pieces).strip().rstrip(";").strip()


@Operations.register_operation("create_view")
class CreateViewOp(MigrateOperation):
    """CREATE [MATERIALIZED] VIEW name AS sql (a materialized view is filled with the query's rows at once)."""

    def __init__(self, name: str, sql: str, *, materialized: bool = False) -> None:
        self.name, self.sql, self.materialized = name, sql, materialized

    @classmethod
    def create_view(cls, operations: Operations, name: str, sql: str, *, materialized: bool = False) -> Any:
        """Create view `name` as `sql` (a SELECT); materialized=True on PostgreSQL, a plain view elsewhere."""
        return operations.invoke(cls(name, sql, materialized=materialized))

    def reverse(self) -> DropViewOp:
        return DropViewOp(self.name, self.sql, materialized=self.materialized)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_view", self.name, self.sql, self.materialized)


@Operations.register_operation("drop_view")
class DropViewOp(MigrateOperation):
    """DROP [MATERIALIZED] VIEW name; `sql` is the definition it had, so the downgrade can create it again."""

    def __init__(self, name: str, sql: str | None = None, *, materialized: bool = False) -> None:
        self.name, self.sql, self.materialized = name, sql, materialized

    @classmethod
    def drop_view(cls, operations: Operations, name: str, sql: str | None = None, *, materialized: bool = False) -> Any:
        """Drop view `name`; `sql` (its definition) only serves the reverse operation."""
        return operations.invoke(cls(name, sql, materialized=materialized))

    def reverse(self) -> CreateViewOp:
        if self.sql is None:
            raise ValueError(f"drop_view {self.name} cannot be reversed: its definition was not recorded")
        return CreateViewOp(self.name, self.sql, materialized=self.materialized)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_view", self.name, self.sql, self.materialized)


@Operations.register_operation("replace_view")
class ReplaceViewOp(MigrateOperation):
    """A view's new definition: CREATE OR REPLACE VIEW where the backend takes any, else drop and create."""

    def __init__(
        self, name: str, sql: str, old_sql: str, *, materialized: bool = False, old_materialized: bool = False
    ) -> None:
        self.name, self.sql, self.old_sql = name, sql, old_sql
        self.materialized, self.old_materialized = materialized, old_materialized

    @classmethod
    def replace_view(
        cls,
        operations: Operations,
        name: str,
        sql: str,
        old_sql: str,
        *,
        materialized: bool = False,
        old_materialized: bool = False,
    ) -> Any:
        """Give view `name` the definition `sql`; `old_sql` is the one it had (for the reverse operation)."""
        return operations.invoke(cls(name, sql, old_sql, materialized=materialized, old_materialized=old_materialized))

    def reverse(self) -> ReplaceViewOp:
        return ReplaceViewOp(
            self.name, self.old_sql, self.sql, materialized=self.old_materialized, old_materialized=self.materialized
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("replace_view", self.name, self.old_sql, self.sql, self.materialized)


def _run(operations: Operations, statements: list[str]) -> None:
    for statement in statements:
        operations.execute(statement)


def _catalog_and_name(operations: Operations, name: str) -> tuple[Any, str]:
    dialect = operations.migration_context.dialect
    return backend_named(dialect.name).view_catalog(), dialect.identifier_preparer.quote(name)


@Operations.implementation_for(CreateViewOp)
def create_view(operations: Operations, operation: CreateViewOp) -> None:
    catalog, name = _catalog_and_name(operations, operation.name)
    _run(operations, catalog.create(name, operation.sql, operation.materialized))


@Operations.implementation_for(DropViewOp)
def drop_view(operations: Operations, operation: DropViewOp) -> None:
    catalog, name = _catalog_and_name(operations, operation.name)
    _run(operations, catalog.drop(name, operation.materialized))


@Operations.implementation_for(ReplaceViewOp)
def replace_view(operations: Operations, operation: ReplaceViewOp) -> None:
    catalog, name = _catalog_and_name(operations, operation.name)
    _run(operations, catalog.replace(name, operation.sql, operation.materialized, operation.old_materialized))


def _flag(materialized: bool, word: str = "materialized") -> str:
    return f", {word}=True" if materialized else ""


@renderers.dispatch_for(CreateViewOp)
def _render_create(autogen_context: AutogenContext, operation: CreateViewOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    return f"op.create_view({operation.name!r}, {operation.sql!r}{_flag(operation.materialized)})"


@renderers.dispatch_for(DropViewOp)
def _render_drop(autogen_context: AutogenContext, operation: DropViewOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    return f"op.drop_view({operation.name!r}, {operation.sql!r}{_flag(operation.materialized)})"


@renderers.dispatch_for(ReplaceViewOp)
def _render_replace(autogen_context: AutogenContext, operation: ReplaceViewOp) -> str:
    autogen_context.imports.add(IMPORT_LINE)
    flags = _flag(operation.materialized) + _flag(operation.old_materialized, "old_materialized")
    return f"op.replace_view({operation.name!r}, {operation.sql!r}, {operation.old_sql!r}{flags})"
