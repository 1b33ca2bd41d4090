"""Rules about the rows a change meets: drops lose them, constraints and NOT NULL fail on them, types cut them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import preflight
from ..changes import fk_target, type_text
from .engine import RuleContext, Subject, rule
from .types import as_type, classify_type_change
from .verdict import DATA_LOSS, ERROR, INFO, MAY_FAIL, SAFE, WARNING, Verdict, plural

BACK_UP = "if it was renamed, rename it instead; else back up first and pass --allow-data-loss"


@rule("drop-table", "remove_table")
def drop_table(subject: Subject, context: RuleContext) -> Verdict:
    """Dropping a table destroys its rows.

    Fix: op.rename_table() if it was renamed; else back up first and pass --allow-data-loss."""
    rows = context.rows(subject.table)
    loss = "all its rows" if rows is None else plural(rows, "row")
    return Verdict(
        "drop-table", DATA_LOSS, ERROR, f"drops table {subject.table} and {loss}",
        "if the table was renamed, use op.rename_table(); else back up first and pass --allow-data-loss", rows,
        f"drops table {subject.table}",
    )  # fmt: skip


@rule("drop-column", "remove_column")
def drop_column(subject: Subject, context: RuleContext) -> Verdict:
    """Dropping a column destroys its values.

    Fix: op.alter_column(new_column_name=...) if it was renamed (Draft.apply_rename)."""
    rows = context.rows(subject.table)
    loss = "its values" if rows is None else f"its values in {plural(rows, 'row')}"
    return Verdict(
        "drop-column", DATA_LOSS, ERROR, f"drops column {subject.table}.{subject.change.name} and {loss}",
        "if the column was renamed, use op.alter_column(..., new_column_name=...) (Draft.apply_rename)", rows,
        f"drops column {subject.table}.{subject.change.name}",
    )  # fmt: skip


@rule("not-null-without-default", "add_column")
def not_null_without_default(subject: Subject, context: RuleContext) -> Verdict | None:
    """A NOT NULL column without a server default fails on a table that has rows.

    Fix: add a server_default, or add it nullable, backfill, then set NOT NULL."""
    column: sa.Column[Any] = subject.change.raw[3]
    if column.nullable or column.server_default is not None or column.computed is not None:
        return None
    where, rows = f"{subject.table}.{column.name}", context.rows(subject.table)
    fix = "add a server_default, or add it nullable, backfill, then set NOT NULL in a later step"
    rule_id = "not-null-without-default"
    if rows is None:
        message = f"NOT NULL column {where} without a server default fails if the table has rows"
        return Verdict(rule_id, MAY_FAIL, WARNING, message, fix)
    if rows:
        message = f"NOT NULL column {where} without a server default: {subject.table} has {plural(rows, 'row')}"
        return Verdict(rule_id, MAY_FAIL, ERROR, message, fix, rows)
    message = f"NOT NULL column {where} without a server default, but {subject.table} is empty"
    return Verdict(rule_id, SAFE, INFO, message, fix, 0)


@rule("not-null-over-nulls", "modify_nullable")
def not_null_over_nulls(subject: Subject, context: RuleContext) -> Verdict | None:
    """SET NOT NULL fails when a row holds NULL.

    Fix: backfill the NULLs in the same revision before altering the column."""
    change = subject.change
    if change.after != "NOT NULL":
        return None
    where, fix = f"{subject.table}.{change.name}", "backfill the NULLs in the same revision before altering the column"
    if context.connection is None or not context.has_columns(subject.table, change.columns):
        message = f"SET NOT NULL on {where} fails if a row holds NULL"
        return Verdict("not-null-over-nulls", MAY_FAIL, WARNING, message, fix)
    nulls = preflight.null_count(context.connection, subject.table, change.columns[0])
    if nulls:
        message = f"SET NOT NULL on {where} fails: {plural(nulls, 'row')} hold NULL"
        return Verdict("not-null-over-nulls", MAY_FAIL, ERROR, message, fix, nulls)
    return Verdict("not-null-over-nulls", SAFE, INFO, f"SET NOT NULL on {where}: no row holds NULL", fix, 0)


def _unique_columns(subject: Subject) -> tuple[str, ...] | None:
    target = subject.change.raw[1] if len(subject.change.raw) > 1 else None
    if isinstance(target, sa.Index) and target.unique:
        return subject.change.columns
    if isinstance(target, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
        return subject.change.columns
    return None


@rule("unique-on-duplicates", "add_constraint", "add_index")
def unique_on_duplicates(subject: Subject, context: RuleContext) -> Verdict | None:
    """A new unique key (constraint, unique index or primary key) fails when existing values repeat.

    Fix: deduplicate in a data migration before adding the unique key."""
    columns = _unique_columns(subject)
    if not columns:
        return None
    on = f"{subject.table}({', '.join(columns)})"
    fix = "deduplicate in a data migration before adding the unique key"
    if context.connection is None:
        message = f"a unique key on {on} fails if existing values repeat"
        return Verdict("unique-on-duplicates", MAY_FAIL, WARNING, message, fix)
    if not context.has_columns(subject.table, columns):
        return Verdict("unique-on-duplicates", SAFE, INFO, f"a unique key on {on}: over new columns or a new table")
    groups = preflight.duplicate_groups(context.connection, subject.table, columns)
    if groups:
        message = f"{plural(groups, 'group')} of rows in {subject.table} repeat ({', '.join(columns)})"
        return Verdict("unique-on-duplicates", MAY_FAIL, ERROR, message, fix, groups)
    return Verdict("unique-on-duplicates", SAFE, INFO, f"a unique key on {on}: existing values are unique", fix, 0)


@rule("fk-orphans", "add_fk")
def fk_orphans(subject: Subject, context: RuleContext) -> Verdict:
    """A new foreign key fails when existing rows point to no parent row.

    Fix: delete or repair the orphans (or add the parents) in a data migration first."""
    fk: sa.ForeignKeyConstraint = subject.change.raw[1]
    columns, fix = subject.change.columns, "repair or delete the orphan rows (or add their parents) first"
    referred_table, referred_columns = fk_target(fk)
    if context.connection is None:
        message = f"a new foreign key on {subject.table} fails if existing rows point nowhere"
        return Verdict("fk-orphans", MAY_FAIL, WARNING, message, fix)
    if not context.has_columns(subject.table, columns):
        return Verdict("fk-orphans", SAFE, INFO, f"a foreign key on {subject.table}: over new columns or a new table")
    if not context.has_columns(referred_table, referred_columns):
        message = f"refers to {referred_table}({', '.join(referred_columns)}), not in the database yet"
        return Verdict("fk-orphans", MAY_FAIL, WARNING, message, fix)
    orphans = preflight.orphan_rows(context.connection, subject.table, columns, referred_table, referred_columns)
    if orphans:
        message = f"{plural(orphans, 'row')} of {subject.table} point to no {referred_table} row"
        return Verdict("fk-orphans", MAY_FAIL, ERROR, message, fix, orphans)
    return Verdict("fk-orphans", SAFE, INFO, f"every existing row of {subject.table} has its parent", fix, 0)


@rule("narrowing-type", "modify_type")
def narrowing_type(subject: Subject, context: RuleContext) -> Verdict | None:
    """A type change that narrows (shorter text, smaller integer, less precision) can cut or reject values.

    Fix: widen instead, or fix the values that do not fit first."""
    change = subject.change
    old, new = as_type(change.raw[5]), as_type(change.raw[6])
    risk, why = classify_type_change(old, new, context.backend)
    if risk == SAFE:
        return Verdict("narrowing-type", SAFE, INFO, f"{_types(old, new)} on {subject.table}.{change.name} {why}")
    message = f"{_types(old, new)} on {subject.table}.{change.name} {why}"
    fix = "widen instead, or fix the values that do not fit first"
    loss = f"{subject.table}.{change.name} {_types(old, new)}: {why}" if risk == DATA_LOSS else ""
    misfits = None
    if context.connection is not None and context.has_columns(subject.table, change.columns):
        misfits = preflight.values_not_fitting(context.connection, subject.table, change.columns[0], new)
    if misfits is None:  # no live data, or values a query cannot test: as bad as the type change says
        return Verdict("narrowing-type", risk, ERROR if risk == DATA_LOSS else WARNING, message, fix, loss=loss)
    if misfits:
        message += f": {plural(misfits, 'value')} would not fit"
        return Verdict("narrowing-type", risk, ERROR, message, fix, misfits, loss)
    message += "; no current value is affected, but a value written before the upgrade may not fit"
    return Verdict("narrowing-type", MAY_FAIL, WARNING, message, fix, 0)


def _types(old: Any, new: Any) -> str:
    return f"{type_text(old, None)} -> {type_text(new, None)}"


@rule("raw-sql", "execute", "unknown")
def raw_sql(subject: Subject, context: RuleContext) -> Verdict | None:
    """An operation schema-tools cannot read (raw SQL, an unknown change): it cannot be judged, so it is risky.

    Fix: review it by hand; the migration guard measures such revisions on a scratch database."""
    return unjudged(subject)


def unjudged(subject: Subject) -> Verdict:
    """The verdict on what no rule can read: may fail, say so, never pass it as safe."""
    message = f"{subject.operation}: schema-tools cannot tell what it does to existing rows"
    return Verdict("raw-sql", MAY_FAIL, WARNING, message, "review it by hand, or lint it with --url to measure it")
