"""make_safe for a type change that rewrites the table: shadow column, sync trigger, backfill, short swap."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from alembic.operations import ops

from .dialects import Backend, backend_named
from .dialects.base_swaps import ColumnSwaps, Swap, SwapIndex
from .lint import WARNING, Finding, describe_op, flatten_ops
from .rules.types import classify_type_change
from .rules.verdict import SAFE
from .safe_ops import AutocommitBlockOp, NoRowsOp, backfill_op

__all__ = ["KEPT_RULE", "kept_type_changes", "retype", "sets_not_null_only"]

# The rule name of the warning on a type change make_safe leaves as autogenerate wrote it.
KEPT_RULE = "make-safe-kept"


class Steps(Protocol):
    """What the rewriter in draft_safe gives this module: its backend, live tables, and how it emits steps."""

    @property
    def backend(self) -> Backend: ...
    @property
    def tables(self) -> Mapping[str, sa.Table]: ...
    @property
    def options(self) -> Any: ...
    @property
    def dialect(self) -> sa.Dialect: ...
    @property
    def quote(self) -> Callable[[str], str]: ...

    out: list[Any]
    judged: list[tuple[str | None, Any]]
    online: set[str]

    def plain(self, table: str | None, operation: Any) -> None: ...
    def step(self, table: str | None, *operations: Any) -> None: ...
    def set_not_null(self, table: str, operation: ops.AlterColumnOp) -> None: ...
    def create_index(self, table: str, operation: ops.CreateIndexOp) -> None: ...


def sets_not_null_only(operation: Any) -> bool:
    """An alter_column that sets NOT NULL and changes no type (one that also retypes goes through `retype`)."""
    return isinstance(operation, ops.AlterColumnOp) and operation.modify_nullable is False and not operation.modify_type


def retype(steps: Steps, table: str, operation: Any) -> bool:
    """Rewrite a type change that rewrites the table into expand/contract steps; False: not a type change.

    A change the backend makes in the catalog runs as it is under the lock timeout; one make_safe cannot swap
    (see `kept_reason`) stays the naive ALTER, which its lock findings and a `make-safe-kept` note flag."""
    if not isinstance(operation, ops.AlterColumnOp) or operation.modify_type is None:
        return False
    swaps = steps.backend.column_swaps()
    live = steps.tables[table]
    column = live.c.get(operation.column_name)
    rewrites = swaps is not None and swaps.rewrites(_old_type(operation, column), operation.modify_type)
    if swaps is None or column is None or not rewrites or kept_reason(steps.backend, live, operation, steps.tables):
        if operation.modify_nullable is False:
            steps.set_not_null(table, operation)  # what make_safe did before it knew type changes
        elif swaps is not None and column is not None and not rewrites:
            steps.step(table, operation)
        else:
            steps.plain(table, operation)
        return True
    _swap(steps, swaps, table, operation, column)
    return True


def _old_type(operation: ops.AlterColumnOp, column: sa.Column[Any] | None) -> Any:
    return operation.existing_type if operation.existing_type is not None else getattr(column, "type", None)


def kept_reason(
    backend: Backend, live: sa.Table, operation: ops.AlterColumnOp, tables: Mapping[str, sa.Table]
) -> str | None:
    """Why make_safe cannot swap this column (None: it can). Fail closed: whatever it cannot rebuild keeps
    the naive ALTER, never a half-safe one."""
    column = live.c[operation.column_name]
    risk, why = classify_type_change(_old_type(operation, column), operation.modify_type, backend)
    default = column.server_default
    default_text = str(getattr(default, "arg", "")) if default is not None else ""
    reasons = [
        (column.primary_key, "it is in the primary key"),
        (column.computed is not None or column.identity is not None, "it is computed or an identity"),
        (bool(default_text) and backend.autoincrement_default(default_text), "a sequence numbers it"),
        (risk != SAFE, f"the change {why}: the sync trigger would reject writes the old column takes"),
        (bool(operation.kw.get(f"{backend.name}_using")), "it has a USING expression"),
        (any(fk.parent is column for fk in live.foreign_keys), "it has a foreign key (not moved by make_safe)"),
        (_referenced(live.name, column.name, tables), "another table's foreign key points at it"),
        (_checked(live, column.name), "a CHECK constraint reads it"),
        (not backend.update_limit and _single_key(live) is None, "the table has no single-column primary key"),
    ]
    found = next((reason for condition, reason in reasons if condition), None)
    return found or _index_reason(live, column.name)


def _referenced(table: str, column: str, tables: Mapping[str, sa.Table]) -> bool:
    target = f"{table}.{column}"
    return any(fk.target_fullname == target for other in tables.values() for fk in other.foreign_keys)


def _checked(live: sa.Table, column: str) -> bool:
    word = re.compile(rf"\b{re.escape(column)}\b", re.IGNORECASE)
    return any(isinstance(c, sa.CheckConstraint) and word.search(str(c.sqltext)) for c in live.constraints)


def _single_key(live: sa.Table) -> str | None:
    keys = list(live.primary_key.columns)
    return str(keys[0].name) if len(keys) == 1 else None


def _dependents(live: sa.Table, column: str) -> list[tuple[str, list[str], bool, bool]]:
    """(name, columns, unique, constraint) of each index and unique constraint over the column."""
    found: dict[str, tuple[str, list[str], bool, bool]] = {}
    for constraint in live.constraints:
        names = [c.name for c in constraint.columns] if isinstance(constraint, sa.UniqueConstraint) else []
        if column in names and isinstance(constraint.name, str):
            found[constraint.name] = (constraint.name, names, True, True)
    for index in live.indexes:
        names = [getattr(e, "name", "") for e in index.expressions]
        if column in names and isinstance(index.name, str) and index.name not in found:
            found[index.name] = (index.name, names, bool(index.unique), False)
    return list(found.values())


def _index_reason(live: sa.Table, column: str) -> str | None:
    for index in live.indexes:
        covers = any(isinstance(e, sa.Column) and e.name == column for e in index.expressions)
        if not covers:
            continue
        if not all(isinstance(e, sa.Column) for e in index.expressions) or not isinstance(index.name, str):
            return f"index {index.name} has expressions"
        if any(value for value in index.dialect_kwargs.values()):
            return f"index {index.name} has backend options ({', '.join(sorted(index.dialect_kwargs))})"
    return None


def bounded(base: str, suffix: str, backend: Backend, taken: Collection[str] = ()) -> str:
    """`base` + `suffix` cut to the backend's identifier limit, numbered until it is not in `taken`."""
    limit = backend.identifier_limit or 64
    for number in itertools.count(1):
        tail = suffix if number == 1 else f"{suffix}{number}"
        head = base
        while head and backend.identifier_size(head + tail) > limit:
            head = head[:-1]
        if head + tail not in taken:
            return head + tail
    raise AssertionError("unreachable")  # pragma: no cover


def _final_column(operation: ops.AlterColumnOp, column: sa.Column[Any]) -> sa.Column[Any]:
    """The column as the naive ALTER leaves it: new type, nullability, server default and comment."""
    nullable = column.nullable if operation.modify_nullable is None else operation.modify_nullable
    default = column.server_default if operation.modify_server_default is False else operation.modify_server_default
    if isinstance(default, sa.DefaultClause):
        default = default.arg
    comment = column.comment if operation.modify_comment is False else operation.modify_comment
    final = sa.Column(column.name, operation.modify_type, nullable=nullable, server_default=default, comment=comment)  # type: ignore[arg-type]
    sa.Table("swap", sa.MetaData(), final)
    return final


def _swap(steps: Steps, swaps: ColumnSwaps, table: str, operation: ops.AlterColumnOp, column: Any) -> None:
    """The expand/contract steps, each its own autocommit step under the lock timeout."""
    backend, live, quote = steps.backend, steps.tables[table], steps.quote
    final = _final_column(operation, column)
    compiler = steps.dialect.ddl_compiler(steps.dialect, None)  # type: ignore[arg-type]
    shadow = bounded(column.name, "__new", backend, set(live.c.keys()))
    dependents = _dependents(live, column.name)
    swap = Swap(
        table, column.name, shadow, str(final.type.compile(dialect=steps.dialect)),
        compiler.get_column_specification(final), compiler.get_column_default_string(final), final.comment,
        _sync_name(table, column.name, backend),
        tuple(SwapIndex(name, bounded(name, "__new", backend), constraint) for name, _, _, constraint in dependents),
    )  # fmt: skip
    t, c, s = quote(table), quote(column.name), quote(shadow)
    message = f"{table}.{column.name} is referenced by a foreign key: make_safe cannot swap its type, change it by hand"
    steps.out.append(NoRowsOp(swaps.referenced(table, column.name), message))  # before the first step commits
    steps.step(table, ops.AddColumnOp(table, sa.Column(shadow, final.type, nullable=True)))
    steps.step(table, *[ops.ExecuteSQLOp(sql) for sql in swaps.sync(swap)])
    _backfill(steps, table, shadow, f"{s} = {c}", f"{s} IS NULL AND {c} IS NOT NULL")
    if not final.nullable:
        held = f"{table}.{column.name} holds NULLs: backfill them first (the new type is NOT NULL)"
        not_null = swaps.not_null(swap)
        if not_null is None:
            steps.set_not_null(table, ops.AlterColumnOp(table, shadow, modify_nullable=False, existing_nullable=True))
        else:
            steps.out.append(NoRowsOp(f"SELECT 1 FROM {t} WHERE {s} IS NULL LIMIT 1", held))
            steps.step(table, *[ops.ExecuteSQLOp(sql) for sql in not_null])
    for (_, names, unique, _), index in zip(dependents, swap.indexes, strict=True):
        over = [shadow if n == column.name else n for n in names]
        steps.create_index(table, ops.CreateIndexOp(index.temporary, table, over, unique=unique))
    steps.step(table, *[ops.ExecuteSQLOp(sql) for sql in swaps.swap(swap)])
    steps.judged.append((table, operation))  # the type change's own verdicts (narrowing...) still apply
    steps.online.add(describe_op(table, operation))  # its lock verdicts judged the naive ALTER this replaces


def _sync_name(table: str, column: str, backend: Backend) -> str:
    """The trigger's name, with room for MySQL's _i/_u suffixes."""
    limit = (backend.identifier_limit or 64) - 2
    name = f"{table}_{column}"
    while backend.identifier_size(name + "__sync") > limit:
        name = name[:-1]
    return name + "__sync"


def _backfill(steps: Steps, table: str, shadow: str, assignment: str, pending: str) -> None:
    """Batches of `batch_size` rows until no row is `pending`; each batch commits on its own."""
    op = backfill_op(steps.tables[table], shadow, assignment, pending, steps.quote, int(steps.options.batch_size),
                     steps.options.batch_sleep, steps.backend.update_limit)  # fmt: skip
    steps.out.append(AutocommitBlockOp([op]))


def kept_type_changes(upgrade: Any, tables: Mapping[str, sa.Table], dialect: str) -> tuple[Finding, ...]:
    """A warning per type change make_safe leaves naive (the swap cannot keep it safe), saying why."""
    backend, notes = backend_named(dialect), []
    for table, operation in flatten_ops(upgrade):
        if not isinstance(operation, ops.AlterColumnOp) or operation.modify_type is None or table not in tables:
            continue
        live, swaps, name = tables[str(table)], backend.column_swaps(), operation.column_name
        if swaps is None:
            reason = f"{backend.label} has no concurrent writer to keep in sync: its batch rebuild holds the write lock"
        elif name not in live.c or not swaps.rewrites(_old_type(operation, live.c[name]), operation.modify_type):
            continue
        else:
            reason = kept_reason(backend, live, operation, tables) or ""
        if reason:
            message = f"make_safe keeps {table}.{name}'s type change as autogenerate wrote it: {reason}"
            fix = "run it in a quiet window, or add a column of the new type, copy, and swap by hand"
            notes.append(Finding(KEPT_RULE, WARNING, describe_op(table, operation), table, name, message, fix))
    return tuple(notes)
