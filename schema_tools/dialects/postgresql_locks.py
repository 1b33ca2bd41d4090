"""PostgreSQL lock facts: the lock each squawk finding's statement takes, whether it rewrites, and table bytes."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class LockFact:
    """What a statement squawk flags holds while it runs, whether it copies every row, and how to avoid it."""

    lock: str
    rewrites: bool
    fix: str


# The squawk rules schema-tools runs: the ones about locks and rewrites. Style rules (prefer-bigint-over-int,
# prefer-robust-stmts, timeouts, ...) are left out: they flag every migration, not the dangerous one.
LOCK_FACTS: dict[str, LockFact] = {
    "require-concurrent-index-creation": LockFact(
        "SHARE", False, "use postgresql_concurrently=True inside op.get_context().autocommit_block()"
    ),
    "require-concurrent-index-deletion": LockFact(
        "ACCESS EXCLUSIVE", False, "use postgresql_concurrently=True inside op.get_context().autocommit_block()"
    ),
    "changing-column-type": LockFact(
        "ACCESS EXCLUSIVE", True, "for big tables: add a new column, backfill in batches, then swap"
    ),
    "adding-field-with-default": LockFact(
        "ACCESS EXCLUSIVE", True, "add the column without a default, backfill in batches, then set the default"
    ),
    "adding-not-nullable-field": LockFact(
        "ACCESS EXCLUSIVE",
        False,
        "add a CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan)",
    ),
    "adding-foreign-key-constraint": LockFact(
        "SHARE ROW EXCLUSIVE", False, "add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later step"
    ),
    "constraint-missing-not-valid": LockFact(
        "ACCESS EXCLUSIVE", False, "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later step"
    ),
    "adding-primary-key-constraint": LockFact(
        "ACCESS EXCLUSIVE", False, "build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX"
    ),
    "disallowed-unique-constraint": LockFact(
        "ACCESS EXCLUSIVE", False, "build a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"
    ),
}


def table_bytes(connection: Connection, table: str) -> int | None:
    """pg_total_relation_size: the table with its indexes and TOAST, read from the catalog."""
    query = sa.text("SELECT pg_total_relation_size(to_regclass(quote_ident(:name)))")
    size = connection.execute(query, {"name": table}).scalar()
    return None if size is None else int(size)
