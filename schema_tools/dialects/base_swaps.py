"""Column swaps (make_safe's type changes): what a backend is told, and the SQL each backend writes for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SwapIndex:
    """An index or unique constraint over the old column, built again over the shadow column before the swap."""

    name: str
    temporary: str
    constraint: bool  # a unique constraint (PostgreSQL attaches it with ADD CONSTRAINT ... USING INDEX)


@dataclass(frozen=True)
class Swap:
    """One column's expand/contract: `shadow` of the new type is kept in sync, backfilled, then renamed in.

    Names are unquoted; `spec` is the final column's definition as CREATE TABLE writes it (name first), and
    `default` its server default's SQL (None: no default).
    """

    table: str
    column: str
    shadow: str
    type_sql: str
    spec: str
    default: str | None
    comment: str | None
    sync: str  # the trigger (and PostgreSQL's trigger function) name, with room for a two-character suffix
    indexes: tuple[SwapIndex, ...] = ()


class ColumnSwaps:
    """A backend that cannot swap a column: make_safe keeps its naive type change (the default)."""

    def rewrites(self, old: Any, new: Any) -> bool:
        """Does changing a column from `old` to `new` copy every row (or block writes) on this backend?"""
        return True

    def sync(self, swap: Swap) -> list[str]:
        """Trigger statements that copy the old column into the shadow on every INSERT and UPDATE."""
        raise NotImplementedError

    def not_null(self, swap: Swap) -> list[str] | None:
        """Statements that make the shadow NOT NULL without blocking; None: the CHECK NOT VALID path."""
        return None

    def swap(self, swap: Swap) -> list[str]:
        """The short swap: triggers dropped, old column dropped, shadow renamed, default and indexes restored."""
        raise NotImplementedError

    def referenced(self, table: str, column: str) -> str:
        """A query that finds a foreign key of any table pointing at `table.column`."""
        raise NotImplementedError


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
