"""Rules on CHECK constraints (rows that violate a new one, counted) and on computed and identity columns."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..comparators.expressions import sql_text
from .engine import RuleContext, Subject, rule
from .verdict import DATA_LOSS, ERROR, INFO, MAY_FAIL, SAFE, WARNING, Verdict, plural

CHECK_FIX = "fix or delete the violating rows first (on PostgreSQL: add it NOT VALID, fix the rows, then VALIDATE)"


def violations(connection: Connection, table: str, expression: str) -> int | None:
    """Rows of `table` for which `expression` is false (NULL passes a CHECK, and NOT NULL is NULL, not counted).

    Read-only, inside a savepoint: an expression over columns the table does not have yet gives None.
    """
    query = sa.select(sa.func.count()).select_from(sa.table(table)).where(sa.text(f"NOT ({expression})"))
    savepoint = connection.begin_nested()
    try:
        found = int(connection.execute(query).scalar_one())
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return found


def _expression(constraint: sa.CheckConstraint, connection: Connection | None) -> str:
    if connection is None:
        return str(constraint.sqltext)
    return sql_text(constraint.sqltext, connection.dialect)


@rule("check-on-rows", "add_constraint")
def check_on_rows(subject: Subject, context: RuleContext) -> Verdict | None:
    """A new CHECK constraint fails when an existing row violates it; with a database the violating rows are
    counted (`NOT (expression)`: a row whose expression is NULL passes).

    Fix: fix or delete the violating rows first, or add it NOT VALID (PostgreSQL) and validate later."""
    target = subject.change.raw[1] if len(subject.change.raw) > 1 else None
    if not isinstance(target, sa.CheckConstraint):
        return None
    expression = _expression(target, context.connection)
    on = f"CHECK ({expression}) on {subject.table}"
    if context.connection is None:
        return Verdict("check-on-rows", MAY_FAIL, WARNING, f"{on} fails if an existing row violates it", CHECK_FIX)
    if not context.rows(subject.table):
        return Verdict("check-on-rows", SAFE, INFO, f"{on}: the table has no rows", CHECK_FIX, 0)
    count = violations(context.connection, subject.table, expression)
    if count is None:
        message = f"{on} fails if an existing row violates it (not counted: it reads columns not there yet)"
        return Verdict("check-on-rows", MAY_FAIL, WARNING, message, CHECK_FIX)
    if count:
        verb = "violates" if count == 1 else "violate"
        message = f"{on} fails: {plural(count, 'row')} of {subject.table} {verb} it"
        return Verdict("check-on-rows", MAY_FAIL, ERROR, message, CHECK_FIX, count)
    return Verdict("check-on-rows", SAFE, INFO, f"{on}: no existing row violates it", CHECK_FIX, 0)


COMPUTED_FIX = (
    "expect a table rewrite (schedule it, or do it in steps on a big table); to keep a plain column's values, "
    "add the new column under another name, copy, drop the old one and rename"
)


@rule("computed-rewrite", "modify_computed")
def computed_rewrite(subject: Subject, context: RuleContext) -> Verdict:
    """A column that becomes computed, stops being computed, or is computed otherwise is dropped and added
    again: a table rewrite, and the values a plain column held are lost (a computed one's are recomputed).

    Fix: schedule the rewrite; to keep a plain column's values, add a new column, copy, drop and rename."""
    change = subject.change
    before, after = change.raw[5], change.raw[6]
    where, rows = f"{subject.table}.{change.name}", context.rows(subject.table)
    size = "" if rows is None else f" ({plural(rows, 'row')})"
    if getattr(before, "expression", None) is None:
        message = f"{where} becomes computed: its stored values{size} are dropped and replaced by {after}"
        return Verdict("computed-rewrite", DATA_LOSS, ERROR, message, COMPUTED_FIX, rows, f"the values of {where}")
    if getattr(after, "expression", None) is None:
        message = f"{where} stops being computed: dropped and added as a plain column, its values{size} start NULL"
        return Verdict("computed-rewrite", DATA_LOSS, ERROR, message, COMPUTED_FIX, rows, f"the values of {where}")
    message = f"{where}: {before} -> {after} drops and re-adds the column, rewriting the table{size}"
    return Verdict("computed-rewrite", MAY_FAIL, WARNING, message, COMPUTED_FIX, rows)


def _present(spec: Any) -> bool:
    return bool(getattr(spec, "present", False))


@rule("identity-change", "modify_identity")
def identity_change(subject: Subject, context: RuleContext) -> Verdict:
    """An identity (AUTO_INCREMENT on MySQL/MariaDB) added to a column with rows may collide with the values it
    holds, and one removed makes inserts that leave the column out fail.

    Fix: after adding, move the sequence past the largest value; before removing, give every insert a value."""
    change = subject.change
    before, after = change.raw[5], change.raw[6]
    where, rows = f"{subject.table}.{change.name}", context.rows(subject.table)
    if _present(after) and not _present(before):
        fix = "after adding it, restart the sequence after the largest existing value (PostgreSQL: RESTART WITH)"
        if rows == 0:
            return Verdict("identity-change", SAFE, INFO, f"{after} on {where}: the table has no rows", fix, 0)
        held = "existing values" if rows is None else f"the values of {plural(rows, 'row')}"
        message = f"{after} on {where}: fails on NULLs or duplicates, and new numbers may collide with {held}"
        return Verdict("identity-change", MAY_FAIL, WARNING, message, fix, rows)
    if _present(before) and not _present(after):
        message = f"{where} loses {before}: inserts that leave {change.name} out fail"
        return Verdict("identity-change", MAY_FAIL, WARNING, message, "give every insert a value, or a default")
    return Verdict("identity-change", SAFE, INFO, f"{where}: {before} -> {after}")
