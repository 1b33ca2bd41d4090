"""MySQL/MariaDB column swaps: BEFORE INSERT and BEFORE UPDATE triggers, and a swap under LOCK TABLES."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .base_swaps import ColumnSwaps, Swap, literal
from .mysql_locks import Server, alter_plan

_quote = mysql.dialect().identifier_preparer.quote


def _text_widens(old: Any, new: Any) -> bool:
    if not (isinstance(old, sa.String) and isinstance(new, sa.String)) or isinstance(new, sa.Enum | sa.CHAR):
        return False
    return new.length is None or (old.length is not None and new.length >= old.length)


class MySQLSwaps(ColumnSwaps):
    """MODIFY to another type is ALGORITHM=COPY (writes wait for every row to be copied) but a VARCHAR widening."""

    def rewrites(self, old: Any, new: Any) -> bool:
        plan = alter_plan("modify_type", Server(), widens=_text_widens(old, new))
        return plan is None or plan.rebuilds or plan.blocks

    def sync(self, swap: Swap) -> list[str]:
        table, shadow, column = _quote(swap.table), _quote(swap.shadow), _quote(swap.column)
        return [
            f"CREATE TRIGGER {_quote(swap.sync + suffix)} BEFORE {event} ON {table} FOR EACH ROW "
            f"SET NEW.{shadow} = NEW.{column}"
            for suffix, event in (("_i", "INSERT"), ("_u", "UPDATE"))
        ]

    def not_null(self, swap: Swap) -> list[str] | None:
        """MODIFY ... NOT NULL rebuilds in place with writes going on; the server refuses rather than copy."""
        table, shadow = _quote(swap.table), _quote(swap.shadow)
        return [f"ALTER TABLE {table} MODIFY {shadow} {swap.type_sql} NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"]

    def swap(self, swap: Swap) -> list[str]:
        """Writes wait on LOCK TABLES ... WRITE while the swap, metadata only, runs; then the triggers go.

        The old column's indexes are dropped first (in place, no rebuild): with them the drop is not INSTANT.
        The swap states ALGORITHM=INSTANT (MariaDB 10.4+, MySQL 8.0.29+): an older server refuses it, under
        the lock and before the triggers are dropped, rather than copy the table while writes wait."""
        table = _quote(swap.table)
        swapped = [f"DROP COLUMN {_quote(swap.column)}", f"CHANGE COLUMN {_quote(swap.shadow)} {swap.spec}"]
        swapped += [f"RENAME INDEX {_quote(i.temporary)} TO {_quote(i.name)}" for i in swap.indexes]
        steps = [f"LOCK TABLES {table} WRITE"]
        if swap.indexes:
            dropped = ", ".join(f"DROP INDEX {_quote(index.name)}" for index in swap.indexes)
            steps.append(f"ALTER TABLE {table} {dropped}, ALGORITHM=INPLACE, LOCK=NONE")
        steps.append(f"ALTER TABLE {table} {', '.join(swapped)}, ALGORITHM=INSTANT")
        steps += [f"DROP TRIGGER {_quote(swap.sync + suffix)}" for suffix in ("_i", "_u")]
        return [*steps, "UNLOCK TABLES"]

    def referenced(self, table: str, column: str) -> str:
        return (
            "SELECT 1 FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = DATABASE() "
            f"AND REFERENCED_TABLE_NAME = {literal(table)} AND REFERENCED_COLUMN_NAME = {literal(column)} LIMIT 1"
        )
