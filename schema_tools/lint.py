"""Lint rules over Alembic operations: data loss, changes that fail on live rows, renames, PostgreSQL locks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.engine import Connection

from . import preflight
from .changes import DATA_LOSS, type_text
from .display import escape, html_table, text_table
from .risk import _family, classify_type_change

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (INFO, WARNING, ERROR)
BIG_TABLE_ROWS = 10_000  # PostgreSQL: above this, CREATE INDEX without CONCURRENTLY blocks writes noticeably
IDENTIFIER_LIMITS = {"postgresql": 63, "mysql": 64, "mariadb": 64}
VOLATILE_DEFAULTS = re.compile(r"\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v[14])\s*\(", re.I)


@dataclass(frozen=True)
class Finding:
    """One lint finding: which rule, how bad, on what, why, and the fix, with the live count when known."""

    rule: str
    severity: str
    operation: str
    table: str | None
    column: str | None
    message: str
    hint: str
    count: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "operation": self.operation,
            "table": self.table,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "count": self.count,
        }


@dataclass(frozen=True)
class LintContext:
    """What the rules may look at: the dialect, and a read-only connection for preflight counts (or None)."""

    dialect: str
    connection: Connection | None = None
    big_table_rows: int = BIG_TABLE_ROWS

    def rows(self, table: str) -> int | None:
        return None if self.connection is None else preflight.row_count(self.connection, table)

    def has_columns(self, table: str, columns: Iterable[str]) -> bool:
        if self.connection is None:
            return False
        inspector = sa.inspect(self.connection)
        if not inspector.has_table(table):
            return False
        present = {c["name"] for c in inspector.get_columns(table)}
        return set(columns) <= present


Rule = Callable[[list[tuple[str | None, Any]], LintContext], Iterator[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: its id, the dialects it applies to (None: all) and the function."""

    id: str
    dialects: frozenset[str] | None
    check: Rule


RULES: list[RuleSpec] = []


def rule(rule_id: str, *, dialects: Iterable[str] | None = None) -> Callable[[Rule], Rule]:
    """Register a lint rule; it receives every (table, operation) pair of the upgrade."""

    def register(function: Rule) -> Rule:
        RULES.append(RuleSpec(rule_id, frozenset(dialects) if dialects else None, function))
        return function

    return register


def flatten_ops(container: Any) -> list[tuple[str | None, Any]]:
    """(table, op) for every operation, with ModifyTableOps opened up."""
    pairs: list[tuple[str | None, Any]] = []
    for operation in getattr(container, "ops", container):
        if isinstance(operation, ops.ModifyTableOps):
            pairs.extend((operation.table_name, sub) for sub in operation.ops)
        else:
            pairs.append((getattr(operation, "table_name", None), operation))
    return pairs


def describe_op(table: str | None, operation: Any) -> str:
    """A short name for an operation: `add_column bots.region`."""
    name = {
        ops.AddColumnOp: lambda o: f"add_column {table}.{o.column.name}",
        ops.DropColumnOp: lambda o: f"drop_column {table}.{o.column_name}",
        ops.AlterColumnOp: lambda o: f"alter_column {table}.{o.column_name}",
        ops.CreateTableOp: lambda o: f"create_table {o.table_name}",
        ops.DropTableOp: lambda o: f"drop_table {o.table_name}",
        ops.CreateIndexOp: lambda o: f"create_index {o.index_name} on {table}",
        ops.DropIndexOp: lambda o: f"drop_index {o.index_name}",
        ops.CreateUniqueConstraintOp: lambda o: f"create_unique_constraint {o.constraint_name} on {table}",
        ops.CreateForeignKeyOp: lambda o: f"create_foreign_key {o.constraint_name} on {table}",
    }
    for cls, render in name.items():
        if isinstance(operation, cls):
            return render(operation)
    return f"{type(operation).__name__} {table or ''}".strip()


def lint_ops(container: Any, context: LintContext) -> tuple[Finding, ...]:
    """Run every rule that applies to the dialect; findings sorted by severity (errors first), then rule."""
    pairs = flatten_ops(container)
    dialect = "mysql" if context.dialect == "mariadb" else context.dialect
    findings = [
        finding
        for spec in RULES
        if spec.dialects is None or dialect in spec.dialects
        for finding in spec.check(pairs, context)
    ]
    return tuple(sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.operation)))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- rules ----------------------------------------------------------------------------------------------


@rule("drop-table")
def _drop_table(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if isinstance(operation, ops.DropTableOp):
            rows = context.rows(operation.table_name)
            loss = "all its rows" if rows is None else _plural(rows, "row")
            yield Finding(
                "drop-table", ERROR, describe_op(table, operation), operation.table_name, None,
                f"drops table {operation.table_name} and {loss}",
                "if the table was renamed, use op.rename_table(); else back up first and pass --allow-data-loss",
                rows,
            )  # fmt: skip


@rule("drop-column")
def _drop_column(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if isinstance(operation, ops.DropColumnOp):
            rows = context.rows(table or "")
            loss = "its values" if rows is None else f"its values in {_plural(rows, 'row')}"
            yield Finding(
                "drop-column", ERROR, describe_op(table, operation), table, operation.column_name,
                f"drops column {table}.{operation.column_name} and {loss}",
                "if the column was renamed, use op.alter_column(..., new_column_name=...) (Draft.apply_rename)",
                rows,
            )  # fmt: skip


@rule("not-null-without-default")
def _not_null(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not isinstance(operation, ops.AddColumnOp):
            continue
        column = operation.column
        if column.nullable or column.server_default is not None or column.computed is not None:
            continue
        rows = context.rows(table or "")
        hint = "add a server_default, or add it nullable, backfill, then set NOT NULL in a later step"
        if rows is None:
            yield Finding(
                "not-null-without-default", WARNING, describe_op(table, operation), table, column.name,
                f"NOT NULL column {table}.{column.name} without a server default fails if the table has rows",
                hint,
            )  # fmt: skip
        elif rows:
            yield Finding(
                "not-null-without-default", ERROR, describe_op(table, operation), table, column.name,
                f"NOT NULL column {table}.{column.name} without a server default: {table} has {_plural(rows, 'row')}",
                hint, rows,
            )  # fmt: skip


@rule("not-null-over-nulls")
def _set_not_null(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not (isinstance(operation, ops.AlterColumnOp) and operation.modify_nullable is False):
            continue
        if not context.has_columns(table or "", [operation.column_name]):
            continue
        assert context.connection is not None
        nulls = preflight.null_count(context.connection, table or "", operation.column_name)
        if nulls:
            yield Finding(
                "not-null-over-nulls", ERROR, describe_op(table, operation), table, operation.column_name,
                f"SET NOT NULL on {table}.{operation.column_name} fails: {_plural(nulls, 'row')} hold NULL",
                "backfill the NULLs in the same revision before altering the column", nulls,
            )  # fmt: skip


def _unique_columns(operation: Any) -> tuple[str, ...] | None:
    if isinstance(operation, ops.CreateUniqueConstraintOp):
        return tuple(operation.columns)
    if isinstance(operation, ops.CreateIndexOp) and operation.unique:
        return tuple(getattr(c, "name", str(c)) for c in operation.columns)
    return None


@rule("unique-on-duplicates")
def _unique(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        columns = _unique_columns(operation)
        if not columns:
            continue
        if context.connection is None:
            yield Finding(
                "unique-on-duplicates", WARNING, describe_op(table, operation), table, ", ".join(columns),
                f"a unique key on {table}({', '.join(columns)}) fails if existing values repeat",
                "run with a database URL to count duplicates",
            )  # fmt: skip
            continue
        if not context.has_columns(table or "", columns):
            continue
        groups = preflight.duplicate_groups(context.connection, table or "", columns)
        if groups:
            yield Finding(
                "unique-on-duplicates", ERROR, describe_op(table, operation), table, ", ".join(columns),
                f"{_plural(groups, 'group')} of rows in {table} repeat ({', '.join(columns)})",
                "deduplicate in a data migration before adding the unique key", groups,
            )  # fmt: skip


def _type_instance(type_: Any) -> Any:
    """A revision may pass a type class (type_=sa.TEXT); the rules compare and show instances, like Alembic."""
    return None if type_ is None else sa.types.to_instance(type_)


@rule("narrowing-type")
def _narrowing(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not (isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None):
            continue
        old, new = _type_instance(operation.existing_type), _type_instance(operation.modify_type)
        verdict, why = classify_type_change(old, new)
        if verdict != DATA_LOSS:
            continue
        misfits = None
        if context.has_columns(table or "", [operation.column_name]):
            assert context.connection is not None
            misfits = preflight.values_not_fitting(context.connection, table or "", operation.column_name, new)
        message = f"{type_text(old, None)} -> {type_text(new, None)} on {table}.{operation.column_name} {why}"
        if misfits:
            message += f": {_plural(misfits, 'value')} would not fit"
        yield Finding(
            "narrowing-type", ERROR if misfits or misfits is None else WARNING, describe_op(table, operation), table,
            operation.column_name, message, "widen instead, or fix the values that do not fit first", misfits,
        )  # fmt: skip


@rule("rename-suspicion")
def _rename(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, dropped, added in suspected_column_renames(pairs):
        yield Finding(
            "rename-suspicion", WARNING, f"drop_column {table}.{dropped} + add_column {table}.{added}", table, dropped,
            f"{table}.{dropped} is dropped and {table}.{added} of a compatible type is added: a rename?",
            f'op.alter_column("{table}", "{dropped}", new_column_name="{added}") keeps the values: '
            f'Draft.apply_rename("{table}", "{dropped}", "{added}")',
        )  # fmt: skip
    for dropped, created in suspected_table_renames(pairs):
        yield Finding(
            "rename-suspicion", WARNING, f"drop_table {dropped} + create_table {created}", dropped, None,
            f"table {dropped} is dropped and {created} with the same columns is created: a rename?",
            f'op.rename_table("{dropped}", "{created}") keeps the rows: '
            f'Draft.apply_table_rename("{dropped}", "{created}")',
        )  # fmt: skip


def suspected_column_renames(pairs: list[tuple[str | None, Any]]) -> list[tuple[str, str, str]]:
    """(table, dropped, added): one table loses a column and gains one of the same type family."""
    by_table: dict[str, tuple[list[Any], list[Any]]] = {}
    for table, operation in pairs:
        if isinstance(operation, ops.DropColumnOp):
            by_table.setdefault(table or "", ([], []))[0].append(operation)
        elif isinstance(operation, ops.AddColumnOp):
            by_table.setdefault(table or "", ([], []))[1].append(operation)
    found = []
    for table, (drops, adds) in sorted(by_table.items()):
        available = list(adds)
        for drop in drops:
            old = drop._reverse.column if drop._reverse is not None else None
            candidates = [a for a in available if old is None or _family(old.type) == _family(a.column.type)]
            if not candidates:
                continue
            # The likeliest new name: the same type, then the same nullability, then the order written.
            best = max(candidates, key=lambda a: _rename_score(old, a.column))
            available.remove(best)
            found.append((table, drop.column_name, best.column.name))
    return found


def _rename_score(old: sa.Column[Any] | None, new: sa.Column[Any]) -> int:
    if old is None:
        return 0
    return 2 * (repr(old.type) == repr(new.type)) + (old.nullable == new.nullable)


def suspected_table_renames(pairs: list[tuple[str | None, Any]]) -> list[tuple[str, str]]:
    """(dropped, created): a table goes and another with the same column names comes."""
    dropped = [op for _, op in pairs if isinstance(op, ops.DropTableOp)]
    created = [op for _, op in pairs if isinstance(op, ops.CreateTableOp)]
    found = []
    for drop in dropped:
        reverse = drop._reverse
        if reverse is None:
            continue
        old_columns = {c.name for c in reverse.columns if isinstance(c, sa.Column)}
        for create in created:
            if {c.name for c in create.columns if isinstance(c, sa.Column)} == old_columns:
                found.append((drop.table_name, create.table_name))
                break
    return found


@rule("create-index-not-concurrently", dialects=["postgresql"])
def _concurrently(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not isinstance(operation, ops.CreateIndexOp):
            continue
        if operation.kw.get("postgresql_concurrently"):
            continue
        rows = context.rows(table or "")
        if rows is not None and rows >= context.big_table_rows:
            yield Finding(
                "create-index-not-concurrently", WARNING, describe_op(table, operation), table, None,
                f"CREATE INDEX locks writes to {table} ({_plural(rows, 'row')}) while it builds",
                "use postgresql_concurrently=True inside op.get_context().autocommit_block()", rows,
            )  # fmt: skip


@rule("volatile-default", dialects=["postgresql"])
def _volatile(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not isinstance(operation, ops.AddColumnOp) or operation.column.server_default is None:
            continue
        default = operation.column.server_default
        text = str(getattr(getattr(default, "arg", default), "text", getattr(default, "arg", default)))
        if VOLATILE_DEFAULTS.search(text):
            yield Finding(
                "volatile-default", WARNING, describe_op(table, operation), table, operation.column.name,
                f"a volatile default ({text}) makes PostgreSQL rewrite {table} under an exclusive lock",
                "add the column without a default, backfill in batches, then set the default",
                context.rows(table or ""),
            )  # fmt: skip


@rule("table-rewrite", dialects=["postgresql"])
def _rewrite(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    for table, operation in pairs:
        if not (isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None):
            continue
        old, new = _type_instance(operation.existing_type), _type_instance(operation.modify_type)
        widening_text = _family(old) == "string" == _family(new) and (
            getattr(new, "length", None) is None
            or (getattr(old, "length", None) is not None and new.length >= old.length)
        )
        if widening_text:
            continue  # varchar(n) -> varchar(m >= n) or text: a catalog-only change
        yield Finding(
            "table-rewrite", WARNING, describe_op(table, operation), table, operation.column_name,
            f"{type_text(old, None)} -> {type_text(new, None)} rewrites {table} under an ACCESS EXCLUSIVE lock",
            "for big tables: add a new column, backfill in batches, then swap", context.rows(table or ""),
        )  # fmt: skip


def _names(pairs: list[tuple[str | None, Any]]) -> Iterator[tuple[str, str]]:
    for table, operation in pairs:
        if isinstance(operation, ops.CreateTableOp):
            yield describe_op(table, operation), operation.table_name
            for column in operation.columns:
                if isinstance(column, sa.Column):
                    yield describe_op(table, operation), column.name
        elif isinstance(operation, ops.AddColumnOp):
            yield describe_op(table, operation), operation.column.name
        for attribute in ("index_name", "constraint_name"):
            name = getattr(operation, attribute, None)
            if isinstance(name, str):
                yield describe_op(table, operation), name


@rule("identifier-too-long", dialects=["postgresql", "mysql"])
def _too_long(pairs: list[tuple[str | None, Any]], context: LintContext) -> Iterator[Finding]:
    dialect = "mysql" if context.dialect == "mariadb" else context.dialect
    limit = IDENTIFIER_LIMITS[dialect]
    for where, name in _names(pairs):
        size = len(name.encode()) if dialect == "postgresql" else len(name)
        if size > limit:
            yield Finding(
                "identifier-too-long", ERROR, where, None, None,
                f"identifier {name[:40]}... is {size} {'bytes' if dialect == 'postgresql' else 'characters'}, over "
                f"{dialect}'s limit of {limit}: it would be truncated or rejected",
                "shorten the name (or the naming convention's template)", size,
            )  # fmt: skip


# -- showing findings -----------------------------------------------------------------------------------

HEADERS = ("severity", "rule", "operation", "message", "count", "fix")


def findings_text(findings: Iterable[Finding]) -> str:
    rows = [(f.severity, f.rule, f.operation, f.message, "" if f.count is None else f.count, f.hint) for f in findings]
    return text_table(HEADERS, rows) if rows else "no lint findings"


def findings_html(findings: Iterable[Finding]) -> str:
    from .display import badge

    rows = []
    for f in findings:
        level = {"error": "data-loss", "warning": "may-fail", "info": "safe"}[f.severity]
        count = "" if f.count is None else str(f.count)
        rows.append([badge(level).replace(f">{level}<", f">{f.severity}<"), escape(f.rule), escape(f.operation),
                     escape(f.message), escape(count), escape(f.hint)])  # fmt: skip
    if not rows:
        return '<div class="st-caption">no lint findings</div>'
    return html_table(HEADERS, rows, raw_html_columns=range(6))
