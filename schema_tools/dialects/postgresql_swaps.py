"""PostgreSQL column swaps: a plpgsql trigger keeps the shadow column in sync; the swap is one DO block."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .base_swaps import ColumnSwaps, Swap, literal

_quote = postgresql.dialect().identifier_preparer.quote  # type: ignore[no-untyped-call]


def _text_widens(old: Any, new: Any) -> bool:
    """varchar(n) -> varchar(m >= n) or text: a catalog change (CHAR pads, so it is left out)."""
    if isinstance(old, sa.CHAR | sa.Enum) or isinstance(new, sa.CHAR | sa.Enum):
        return False
    return new.length is None or (old.length is not None and new.length >= old.length)


def _numeric_widens(old: Any, new: Any) -> bool:
    """NUMERIC(p, s) -> NUMERIC(q >= p, s) or unconstrained NUMERIC: no rewrite since PostgreSQL 9.2."""
    if new.precision is None:
        return True
    return old.precision is not None and new.precision >= old.precision and (new.scale or 0) == (old.scale or 0)


def _decimal(type_: Any) -> bool:
    return isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)


class PostgreSQLSwaps(ColumnSwaps):
    """ALTER COLUMN TYPE rewrites the table under ACCESS EXCLUSIVE unless the types are binary compatible."""

    def rewrites(self, old: Any, new: Any) -> bool:
        if isinstance(old, sa.String) and isinstance(new, sa.String):
            return not _text_widens(old, new)
        if _decimal(old) and _decimal(new):
            return not _numeric_widens(old, new)
        return True

    def sync(self, swap: Swap) -> list[str]:
        table, name = _quote(swap.table), _quote(swap.sync)
        # An assignment (not CAST) converts as ALTER COLUMN TYPE without USING does: it errors where that would.
        body = f"BEGIN NEW.{_quote(swap.shadow)} := NEW.{_quote(swap.column)}; RETURN NEW; END"
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$",
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]

    def swap(self, swap: Swap) -> list[str]:
        table, column = _quote(swap.table), _quote(swap.column)
        steps = [
            f"DROP TRIGGER {_quote(swap.sync)} ON {table}",
            f"DROP FUNCTION {_quote(swap.sync)}()",
            f"ALTER TABLE {table} DROP COLUMN {column}",
            f"ALTER TABLE {table} RENAME COLUMN {_quote(swap.shadow)} TO {column}",
        ]
        if swap.default is not None:
            steps.append(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {swap.default}")
        if swap.comment is not None:
            steps.append(f"COMMENT ON COLUMN {table}.{column} IS {literal(swap.comment)}")
        for index in swap.indexes:
            temporary, name = _quote(index.temporary), _quote(index.name)
            if index.constraint:
                steps.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {temporary}")
            else:
                steps.append(f"ALTER INDEX {temporary} RENAME TO {name}")
        # One statement, so one transaction even in an autocommit block: all of it, or none of it.
        return ["DO $$ BEGIN " + "; ".join(steps) + "; END $$"]

    def referenced(self, table: str, column: str) -> str:
        regclass = f"to_regclass(quote_ident({literal(table)}))"
        attnum = f"(SELECT attnum FROM pg_attribute WHERE attrelid = {regclass} AND attname = {literal(column)})"
        return (
            f"SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = {regclass} AND {attnum} = ANY (confkey)"
        )
