"""Locks and rewrites outside squawk's reach: MySQL/MariaDB ALTER algorithms and SQLite's batch rebuilds."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ..dialects import backend_of
from ..dialects.mysql import MySQL
from ..dialects.mysql_locks import alter_plan, server_of
from ..dialects.sqlite import SQLite
from ..dialects.sqlite_locks import LOCK as REBUILD_LOCK
from ..dialects.sqlite_locks import REBUILT_KINDS
from .engine import RuleContext, Subject, rule
from .types import as_type, widens_text
from .verdict import SAFE, WARNING, Verdict

Size = tuple[int, int | None]


def table_size(context: RuleContext, table: str) -> Size | None:
    """(rows, bytes) of the live `table`, read from the connection's own catalog; None without a connection."""
    connection: Connection | None = context.connection
    if connection is None or not table:
        return None
    rows = context.rows(table)
    if rows is None:
        return None
    return rows, backend_of(connection).table_bytes(connection, table)


def size_text(table: str, size: Size | None) -> str:
    """`items: 3 rows, 16384 bytes`, or why the size is unknown."""
    if size is None:
        return f"{table}: size unknown (no connection)"
    rows, size_bytes = size
    amount = f"{size_bytes} bytes" if size_bytes is not None else "bytes unknown"
    return f"{table}: {rows} row{'' if rows == 1 else 's'}, {amount}"


def _mysql_connection(context: RuleContext) -> Connection | None:
    connection = context.connection
    return connection if connection is not None and connection.dialect.name in MySQL.dialect_names else None


def _relaxes(subject: Subject) -> bool:
    raw = subject.change.raw
    return subject.change.kind == "modify_nullable" and len(raw) >= 7 and bool(raw[6])


def _widens(subject: Subject) -> bool:
    raw = subject.change.raw
    return subject.change.kind == "modify_type" and len(raw) >= 7 and widens_text(as_type(raw[5]), as_type(raw[6]))


_ALTER_KINDS = (
    "add_column", "remove_column", "add_index", "remove_index", "add_constraint", "remove_constraint",
    "add_fk", "remove_fk", "modify_type", "modify_nullable", "modify_default", "modify_comment",
)  # fmt: skip


@rule("mysql-alter-algorithm", *_ALTER_KINDS, backends=[MySQL.name])
def mysql_alter_algorithm(subject: Subject, context: RuleContext) -> Verdict | None:
    """The ALGORITHM (INSTANT, INPLACE, COPY) and LOCK the server's version gives this ALTER: a COPY or a
    LOCK=SHARED on a table with rows blocks its writes while every row is copied.

    Fix: run it in a quiet window or with an online schema change tool (gh-ost, pt-online-schema-change)."""
    server = server_of(_mysql_connection(context))
    plan = alter_plan(subject.change.kind, server, widens=_widens(subject), relaxes=_relaxes(subject))
    if plan is None:
        return None
    rows = context.rows(subject.table) if subject.table else None
    if not (plan.blocks and rows):
        return None  # INSTANT or online, or an empty table: nothing to warn of (an info verdict would be noise)
    size = table_size(context, subject.table)  # the bytes only for a warning's message
    rewrite = "rebuilds the table" if plan.rebuilds else "no rebuild"
    message = (
        f"{subject.operation} runs ALGORITHM={plan.algorithm}, LOCK={plan.lock} on {server.label}: "
        f"{rewrite}; {size_text(subject.table, size)}"
    )
    fix = (
        "run it in a quiet window or with gh-ost / pt-online-schema-change"
        if plan.blocks
        else f"nothing to do (state ALGORITHM={plan.algorithm}, LOCK={plan.lock} to make the server refuse a copy)"
    )
    return Verdict("mysql-alter-algorithm", SAFE, WARNING, message, fix, rows)


@rule("sqlite-rebuild", *sorted(REBUILT_KINDS), backends=[SQLite.name])
def sqlite_rebuild(subject: Subject, context: RuleContext) -> Verdict | None:
    """SQLite alters only by adding or renaming a column: anything else is a batch rebuild that copies every
    row into a new table while holding the database's write lock.

    Fix: batch several changes to one table into one batch_alter_table; run big rebuilds in a quiet window."""
    size = table_size(context, subject.table)
    rows = size[0] if size is not None else None
    if rows is None or rows < context.big_table_rows:
        return None  # a small table is copied in a moment; without a connection every rebuild would be listed
    message = (
        f"{subject.operation} rebuilds {subject.table} (copies every row) holding {REBUILD_LOCK}; "
        f"{size_text(subject.table, size)}"
    )
    fix = "group this table's changes into one batch_alter_table; run a big rebuild in a quiet window"
    return Verdict("sqlite-rebuild", SAFE, WARNING, message, fix, rows)
