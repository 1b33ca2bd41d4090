"""Rewrite a draft into steps that do not block a busy table: concurrent indexes, NOT VALID keys, backfills."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy.schema import AddConstraint, CreateIndex

from .dialects import Backend, backend_named
from .dialects.mysql import MySQL
from .dialects.mysql_timeouts import lock_wait_seconds
from .draft_sql import as_written
from .errors import ConfigurationError
from .rules.operations import describe_op
from .safe_ops import AutocommitBlockOp, NoRowsOp, backfill_op
from .safe_types import retype, sets_not_null_only

__all__ = ["SafeOptions", "SafePlan", "safe_plan"]


@dataclass(frozen=True)
class SafeOptions:
    """How make_safe batches a backfill, how long a step waits for a lock, and backfill values by `table.column`."""

    batch_size: int = 10_000
    batch_sleep: float = 0.0
    lock_timeout: float = 5.0
    backfill: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SafePlan:
    """The rewritten upgrade and downgrade, the schema operations as the rules judge them, the backfilled columns."""

    upgrade: ops.UpgradeOps
    downgrade: ops.DowngradeOps
    judged: ops.UpgradeOps
    backfilled: frozenset[tuple[str, str]]
    # How the rules name the raw statements make_safe wrote itself (SET lock_timeout, VALIDATE CONSTRAINT...).
    own_statements: frozenset[str]
    # Operations run with explicit online clauses (ALGORITHM=INPLACE, LOCK=NONE: the server refuses rather
    # than block), whose lock verdicts judged the operation without them.
    online: frozenset[str]
    # The live tables as a later batch rebuild finds them: with the columns the earlier steps added.
    tables: dict[str, sa.Table]


def safe_plan(
    upgrade: ops.UpgradeOps, downgrade: ops.DowngradeOps, tables: Mapping[str, sa.Table], dialect: str,
    options: SafeOptions,
) -> SafePlan:  # fmt: skip
    """The draft's operations as non-blocking steps on `dialect`; `tables` are the live tables they touch."""
    up = _Rewriter(backend_named(dialect), tables, options)
    for table, operation in _pairs(upgrade):
        up.upgrade_op(table, operation)
    down = _Rewriter(backend_named(dialect), tables, options, concurrent=up.concurrent)
    for table, operation in _pairs(downgrade):
        down.downgrade_op(table, operation)
    judged = ops.UpgradeOps(ops=[ops.ModifyTableOps(table, [op]) if table else op for table, op in up.judged])
    own = frozenset(describe_op(None, op) for _, op in up.judged if isinstance(op, ops.ExecuteSQLOp))
    return SafePlan(
        ops.UpgradeOps(ops=up.out), ops.DowngradeOps(ops=down.out), judged, frozenset(up.backfilled), own,
        frozenset(up.online), _with_added(tables, up.added),
    )  # fmt: skip


def _pairs(container: Any) -> list[tuple[str | None, Any]]:
    """(table, op) per operation, table None for an op that is not inside a ModifyTableOps."""
    pairs: list[tuple[str | None, Any]] = []
    for operation in copy.deepcopy(container.ops):
        if isinstance(operation, ops.ModifyTableOps):
            pairs.extend((operation.table_name, sub) for sub in operation.ops)
        else:
            pairs.append((None, operation))
    return pairs


class _Rewriter:
    """Builds the new op list: plain ops regrouped per table, non-blocking steps in autocommit blocks."""

    def __init__(
        self, backend: Backend, tables: Mapping[str, sa.Table], options: SafeOptions, concurrent: set[str] | None = None
    ) -> None:
        self.backend, self.tables, self.options = backend, tables, options
        self.dialect = MigrationContext.configure(dialect_name=backend.name).dialect
        self.quote = self.dialect.identifier_preparer.quote
        self.out: list[Any] = []
        self.judged: list[tuple[str | None, Any]] = []
        self.backfilled: set[tuple[str, str]] = set()
        self.online: set[str] = set()
        self.added: list[tuple[str, sa.Column[Any]]] = []
        self.concurrent: set[str] = set() if concurrent is None else concurrent

    # -- emitting -----------------------------------------------------------------------------------------

    def plain(self, table: str | None, operation: Any) -> None:
        """An op kept as it is, in its table's ModifyTableOps (batch mode on SQLite) like autogenerate's."""
        self.judged.append((table, operation))
        last = self.out[-1] if self.out else None
        if table:
            if isinstance(last, ops.ModifyTableOps) and last.table_name == table:
                last.ops.append(operation)
            else:
                self.out.append(ops.ModifyTableOps(table, [operation]))
        else:
            self.out.append(operation)

    def step(self, table: str | None, *operations: Any) -> None:
        """Ops run as one step of their own: in an autocommit block under a lock timeout where there is one."""
        if not self.backend.lock_timeout_sql:
            for operation in operations:
                self.plain(table, operation)
            return
        timeout = self.backend.lock_timeout_sql.format(seconds=_seconds(self.options.lock_timeout, self.backend))
        written = [as_written(operation, None) for operation in operations]
        self.judged.extend((table, operation) for operation in [ops.ExecuteSQLOp(timeout), *written])
        self.out.append(AutocommitBlockOp([ops.ExecuteSQLOp(timeout), *written]))

    def sql(self, text: str) -> ops.ExecuteSQLOp:
        return ops.ExecuteSQLOp(text)

    # -- the upgrade --------------------------------------------------------------------------------------

    def upgrade_op(self, table: str | None, operation: Any) -> None:
        if table is None or table not in self.tables:  # top-level ops (create_table...) and new tables: as they are
            self.plain(table, operation)
        elif isinstance(operation, ops.AddColumnOp) and _required(operation.column):
            self.required_column(table, operation)
        elif sets_not_null_only(operation):  # one that also changes the type goes to retype below
            self.set_not_null(table, operation)
        elif isinstance(operation, ops.CreateIndexOp) and self.backend.online_ddl:
            self.create_index(table, operation)
        elif isinstance(operation, ops.CreateForeignKeyOp) and self.backend.online_ddl == "concurrently":
            self.create_foreign_key(table, operation)
        elif isinstance(operation, ops.CreateForeignKeyOp) and self.backend.online_ddl:
            self.create_foreign_key_online(table, operation)
        elif not retype(self, table, operation):  # a type change: safe_types; anything else as it is
            self.plain(table, operation)

    def required_column(self, table: str, operation: ops.AddColumnOp) -> None:
        """Add it nullable, backfill in batches, then SET NOT NULL without a long lock."""
        column = operation.column
        nullable = copy.copy(as_written(operation, None))
        nullable.column = nullable.column._copy()
        nullable.column.nullable = True
        self.step(table, nullable)
        self.added.append((table, nullable.column))
        self.backfill(table, column.name, _backfill_value(table, column, self.options.backfill, self.dialect))
        setting = ops.AlterColumnOp(
            table, column.name, modify_nullable=False, existing_type=column.type, existing_nullable=True,
            existing_comment=column.comment,
        )  # fmt: skip
        self.set_not_null(table, setting)

    def backfill(self, table: str, column: str, value: str) -> None:
        size, c = int(self.options.batch_size), self.quote(column)
        op = backfill_op(self.tables[table], column, f"{c} = {value}", f"{c} IS NULL", self.quote, size,
                         self.options.batch_sleep, self.backend.update_limit)  # fmt: skip
        self.out.append(AutocommitBlockOp([op]))
        self.backfilled.add((table, column))

    def set_not_null(self, table: str, operation: ops.AlterColumnOp) -> None:
        """PostgreSQL: a validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan (12+); elsewhere one step."""
        key = f"{table}.{operation.column_name}"
        if key in self.options.backfill and (table, operation.column_name) not in self.backfilled:
            column = sa.Column(operation.column_name, operation.existing_type or sa.types.NullType())
            self.backfill(table, operation.column_name, _literal(self.options.backfill[key], column, self.dialect))
        if self.backend.online_ddl != "concurrently":
            self.step(table, operation)
            return
        t, c = self.quote(table), self.quote(operation.column_name)
        name = self.quote(f"{table}_{operation.column_name}_not_null"[-63:])
        # Fail before the first step commits, not at VALIDATE with a NOT VALID constraint left behind.
        message = f"{table}.{operation.column_name} holds NULLs: backfill them first (backfill=...)"
        self.out.append(NoRowsOp(f"SELECT 1 FROM {t} WHERE {c} IS NULL LIMIT 1", message))
        self.step(table, self.sql(f"ALTER TABLE {t} ADD CONSTRAINT {name} CHECK ({c} IS NOT NULL) NOT VALID"))
        self.step(table, self.sql(f"ALTER TABLE {t} VALIDATE CONSTRAINT {name}"))
        self.step(table, operation, self.sql(f"ALTER TABLE {t} DROP CONSTRAINT {name}"))

    def create_index(self, table: str, operation: ops.CreateIndexOp) -> None:
        """PostgreSQL: CREATE INDEX CONCURRENTLY; MySQL/MariaDB: ALGORITHM=INPLACE LOCK=NONE (refused, not locked)."""
        if self.backend.online_ddl == "concurrently":
            concurrent = ops.CreateIndexOp(
                operation.index_name, operation.table_name, operation.columns, schema=operation.schema,
                unique=operation.unique, if_not_exists=operation.if_not_exists,
                **{**operation.kw, "postgresql_concurrently": True},
            )  # fmt: skip
            self.step(table, concurrent)
            self.concurrent.add(str(operation.index_name))
            return
        statement = str(CreateIndex(operation.to_index()).compile(dialect=self.dialect)).strip()
        self.step(table, self.sql(f"{statement} ALGORITHM=INPLACE LOCK=NONE"))
        self.judged[-1] = (table, operation)  # the rules judge the index it builds, not the text

    def create_foreign_key(self, table: str, operation: ops.CreateForeignKeyOp) -> None:
        """ADD CONSTRAINT ... NOT VALID (no scan under the lock), then VALIDATE CONSTRAINT in its own step."""
        not_valid = copy.copy(operation)
        not_valid.kw = {**operation.kw, "postgresql_not_valid": True}
        self.no_orphans(table, operation)  # fail before the NOT VALID key commits, not at VALIDATE
        self.step(table, not_valid)
        name = self.quote(str(operation.constraint_name))
        self.step(table, self.sql(f"ALTER TABLE {self.quote(table)} VALIDATE CONSTRAINT {name}"))

    def create_foreign_key_online(self, table: str, operation: ops.CreateForeignKeyOp) -> None:
        """MySQL/MariaDB: no orphan now, then ADD FOREIGN KEY with this session's foreign_key_checks off, which
        lets it run ALGORITHM=INPLACE, LOCK=NONE (other sessions' writes are checked once the key exists)."""
        constraint = operation.to_constraint()
        assert isinstance(constraint, sa.ForeignKeyConstraint)
        self.no_orphans(table, operation)
        added = str(AddConstraint(constraint).compile(dialect=self.dialect)).strip()
        self.step(
            table, self.sql("SET SESSION foreign_key_checks = 0"), self.sql(f"{added}, ALGORITHM=INPLACE, LOCK=NONE"),
            self.sql("SET SESSION foreign_key_checks = 1"),
        )  # fmt: skip
        self.judged[-2] = (table, operation)  # the rules judge the key it adds (orphans), not the text
        self.online.add(describe_op(table, operation))

    def no_orphans(self, table: str, operation: ops.CreateForeignKeyOp) -> None:
        child, parent = self.quote(table), self.quote(operation.referent_table)
        pairs = list(zip(operation.local_cols, operation.remote_cols, strict=True))
        joined = " AND ".join(f"c.{self.quote(a)} = p.{self.quote(b)}" for a, b in pairs)
        present = " AND ".join(f"c.{self.quote(a)} IS NOT NULL" for a, _ in pairs)
        query = (
            f"SELECT 1 FROM {child} c LEFT JOIN {parent} p ON {joined} "
            f"WHERE {present} AND p.{self.quote(pairs[0][1])} IS NULL LIMIT 1"
        )
        message = (
            f"{table} has rows that point to no {operation.referent_table} row: {operation.constraint_name} not added"
        )
        self.out.append(NoRowsOp(query, message))

    # -- the downgrade ------------------------------------------------------------------------------------

    def downgrade_op(self, table: str | None, operation: Any) -> None:
        if isinstance(operation, ops.DropIndexOp) and str(operation.index_name) in self.concurrent:
            dropped = ops.DropIndexOp(
                operation.index_name, operation.table_name, schema=operation.schema,
                **{**operation.kw, "postgresql_concurrently": True},
            )  # fmt: skip
            self.step(table, dropped)
        else:
            self.plain(table, operation)


def _with_added(tables: Mapping[str, sa.Table], added: list[tuple[str, sa.Column[Any]]]) -> dict[str, sa.Table]:
    """Copies of the live tables with the nullable columns make_safe adds before a later batch rebuilds them."""
    result = dict(tables)
    for name in {table for table, _ in added}:
        result[name] = tables[name].to_metadata(sa.MetaData())
    for name, column in added:
        result[name].append_column(column._copy())
    return result


def _seconds(value: float, backend: Backend) -> str:
    """MySQL/MariaDB take whole seconds (a fraction: the guarded upgrade's lock limit on MariaDB, else 1 s)."""
    return str(lock_wait_seconds(value)) if isinstance(backend, MySQL) else f"{value:g}"


def _required(column: sa.Column[Any]) -> bool:
    """A NOT NULL column without a server default: adding it fails, or rewrites, on a table with rows."""
    return not column.nullable and column.server_default is None and column.computed is None and not column.identity


def _backfill_value(table: str, column: sa.Column[Any], backfill: Mapping[str, Any], dialect: sa.Dialect) -> str:
    """The SQL value a new NOT NULL column's existing rows get: backfill=, else the model's scalar default."""
    key = f"{table}.{column.name}"
    if key in backfill:
        return _literal(backfill[key], column, dialect)
    default = column.default
    if isinstance(default, sa.ColumnDefault) and default.is_scalar:
        return _literal(default.arg, column, dialect)
    raise ConfigurationError(
        f"{key} is NOT NULL without a default: make_safe needs a backfill value, e.g. backfill={{{key!r}: ...}}"
    )


def _literal(value: Any, column: sa.Column[Any], dialect: sa.Dialect) -> str:
    if isinstance(value, sa.TextClause):
        return value.text
    return str(sa.literal(value, column.type).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
