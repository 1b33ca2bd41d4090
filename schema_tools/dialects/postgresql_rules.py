"""PostgreSQL-only rules: operations that hold an ACCESS EXCLUSIVE or write-blocking lock while they work."""

from __future__ import annotations

import re
from typing import Any

from ..changes import default_text, type_text
from ..rules.engine import RuleContext, Subject, rule
from ..rules.types import as_type, widens_text
from ..rules.verdict import SAFE, WARNING, Verdict, plural

BACKENDS = ("postgresql",)
VOLATILE_DEFAULTS = re.compile(r"\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v[14])\s*\(", re.I)


def _concurrently(subject: Subject) -> bool:
    index = subject.change.raw[1] if len(subject.change.raw) > 1 else None
    options: dict[str, Any] = dict(getattr(index, "dialect_kwargs", {}) or {})
    if subject.op is not None:
        options.update(getattr(subject.op, "kw", {}) or {})
    return bool(options.get("postgresql_concurrently"))


@rule("create-index-not-concurrently", "add_index", backends=BACKENDS)
def create_index_not_concurrently(subject: Subject, context: RuleContext) -> Verdict | None:
    """CREATE INDEX without CONCURRENTLY blocks writes to a big table while it builds.

    Fix: postgresql_concurrently=True inside op.get_context().autocommit_block()."""
    if _concurrently(subject):
        return None
    rows = context.rows(subject.table)
    if rows is None or rows < context.big_table_rows:
        return None
    return Verdict(
        "create-index-not-concurrently", SAFE, WARNING,
        f"CREATE INDEX locks writes to {subject.table} ({plural(rows, 'row')}) while it builds",
        "use postgresql_concurrently=True inside op.get_context().autocommit_block()", rows,
    )  # fmt: skip


@rule("volatile-default", "add_column", backends=BACKENDS)
def volatile_default(subject: Subject, context: RuleContext) -> Verdict | None:
    """A volatile server default (random(), clock_timestamp(), ...) makes ADD COLUMN rewrite the whole table.

    Fix: add the column without a default, backfill in batches, then set the default."""
    column = subject.change.raw[3]
    text = default_text(column.server_default)
    if text is None or not VOLATILE_DEFAULTS.search(text):
        return None
    return Verdict(
        "volatile-default", SAFE, WARNING,
        f"a volatile default ({text}) makes PostgreSQL rewrite {subject.table} under an exclusive lock",
        "add the column without a default, backfill in batches, then set the default", context.rows(subject.table),
    )  # fmt: skip


@rule("table-rewrite", "modify_type", backends=BACKENDS)
def table_rewrite(subject: Subject, context: RuleContext) -> Verdict | None:
    """ALTER COLUMN TYPE rewrites the table under an ACCESS EXCLUSIVE lock, except text widenings.

    Fix: for big tables, add a new column, backfill in batches, then swap."""
    old, new = as_type(subject.change.raw[5]), as_type(subject.change.raw[6])
    if widens_text(old, new):
        return None  # varchar(n) -> varchar(m >= n) or text: a catalog-only change
    return Verdict(
        "table-rewrite", SAFE, WARNING,
        f"{type_text(old, None)} -> {type_text(new, None)} rewrites {subject.table} under an ACCESS EXCLUSIVE lock",
        "for big tables: add a new column, backfill in batches, then swap", context.rows(subject.table),
    )  # fmt: skip
