"""The data-loss guard: what each pending revision destroys, read from its operations or measured by running it.

A revision whose upgrade() (or downgrade()) only calls Alembic operations with fixed arguments is read
exactly: its body is run against a recorder, offline, with no env.py and no database. Any other revision
(raw SQL through op.execute, a look at the connection, a branch on offline mode, a helper function) is
judged by its effect: a scratch database of the same backend is built at its parent revision through the
app's own env.py, seeded with a row per table, the revision runs there, and the schemas and row counts
before and after are compared. A revision that can be judged neither way is unjudged, and the guard
refuses it like a drop: fail closed.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from alembic.operations.base import AbstractOperations
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .changes import DATA_LOSS, type_text
from .connect import create_sync_engine, parse_url, sync_url
from .errors import SchemaToolsError
from .revisions import Step, first_line, lookup, parents
from .risk import classify_type_change
from .settings import INTERNAL_TABLES

OPERATIONS, EFFECT, UNJUDGED = "operations", "effect", "unjudged"

# op.* calls whose effect is fully given by their arguments: recording them is the same as running them.
SCHEMA_OPERATIONS = frozenset(
    {
        "add_column", "alter_column", "batch_alter_table", "bulk_insert", "create_check_constraint",
        "create_exclude_constraint", "create_foreign_key", "create_index", "create_primary_key", "create_table",
        "create_table_comment", "create_unique_constraint", "drop_column", "drop_constraint", "drop_index",
        "drop_table", "drop_table_comment", "rename_table",
    }
)  # fmt: skip
# op.* helpers allowed inside arguments: they only build names and literals.
ARGUMENT_HELPERS = frozenset({"f", "inline_literal"})
_RECORDING_LOCK = threading.Lock()


@dataclass(frozen=True)
class Verdict:
    """How one revision was judged, and what it destroys: dropped tables or columns, narrowed types, rows."""

    revision: str
    message: str
    direction: str
    judged_by: str
    losses: tuple[str, ...] = ()
    reason: str = ""
    operations: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def refused(self) -> bool:
        """True when the guard needs --allow-data-loss: something is destroyed, or nobody could tell."""
        return self.judged_by == UNJUDGED or bool(self.losses)

    @property
    def how(self) -> str:
        """How this revision was judged, in words, for lint output and refusals."""
        if self.judged_by == OPERATIONS:
            return "judged by its operations, read offline"
        if self.judged_by == EFFECT:
            return f"judged by its effect on a scratch database ({self.reason})"
        return f"not judged: {self.reason}; treated as data loss"

    def summary(self) -> str:
        """One short phrase: the first losses, or why it could not be judged."""
        if self.judged_by == UNJUDGED:
            return f"{self.revision}: cannot be judged ({self.reason})"
        shown = "; ".join(self.losses[:3]) + ("; ..." if len(self.losses) > 3 else "")
        return f"{self.revision}: {shown}"


# -- reading a revision without running it -----------------------------------------------------------------


def _function(script: Script, name: str) -> ast.FunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(getattr(script.module, name)))
    except (OSError, TypeError, AttributeError):
        return None
    tree = ast.parse(source)
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.FunctionDef) else None


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _dynamic_parts(node: ast.AST, operation_names: set[str]) -> str | None:
    """Why the arguments are not fixed (a look at the connection or context, raw SQL), or None."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
            if inner.value.id in operation_names and inner.attr not in SCHEMA_OPERATIONS | ARGUMENT_HELPERS:
                return f"calls {inner.value.id}.{inner.attr}()"
        if isinstance(inner, ast.Name) and inner.id in ("context", "connection", "bind", "conn", "session"):
            return f"uses {inner.id}"
        if isinstance(inner, ast.Lambda | ast.Await | ast.Yield | ast.NamedExpr):
            return "computes its arguments at run time"
    return None


def _statement_reason(statement: ast.stmt, operation_names: set[str]) -> str | None:
    """None when the statement is a fixed Alembic operation, else why it must be run to be judged."""
    if isinstance(statement, ast.Pass) or _is_docstring(statement):
        return None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        target = call.func
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
            return f"calls {ast.unparse(target)}()"
        if target.value.id not in operation_names:
            return f"calls {ast.unparse(target)}()"
        if target.attr not in SCHEMA_OPERATIONS:
            return f"calls {target.value.id}.{target.attr}()"
        return _dynamic_parts(call, operation_names)
    if isinstance(statement, ast.With) and len(statement.items) == 1:
        item = statement.items[0]
        call = item.context_expr
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in operation_names
            and call.func.attr == "batch_alter_table"
            and isinstance(item.optional_vars, ast.Name)
        ):
            inner_names = {*operation_names, item.optional_vars.id}
            reason = _dynamic_parts(call, operation_names)
            for inner in statement.body:
                reason = reason or _statement_reason(inner, inner_names)
            return reason
        return "uses a with block other than op.batch_alter_table"
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
        call = statement.value
        target = call.func
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            if target.value.id in operation_names and target.attr in SCHEMA_OPERATIONS:
                return _dynamic_parts(call, operation_names)
            if target.value.id in ("sa", "sqlalchemy") and target.attr in ("table", "Table", "column", "Column"):
                return _dynamic_parts(call, operation_names)
        if isinstance(target, ast.Name) and target.id in ("table", "column"):
            return _dynamic_parts(call, operation_names)
        return f"assigns the result of {ast.unparse(target)}()"
    kind = type(statement).__name__.lower()
    words = {"if": "branches (if)", "for": "loops (for)", "while": "loops (while)", "try": "catches errors (try)"}
    return f"{words.get(kind, f'has a {kind} statement')}"


def why_dynamic(script: Script, direction: str) -> str | None:
    """None when the revision's function only calls fixed Alembic operations; else what makes it dynamic."""
    name = "upgrade" if direction == "upgrade" else "downgrade"
    function = _function(script, name)
    if function is None:
        return f"its {name}() could not be read"
    for statement in function.body:
        reason = _statement_reason(statement, {"op"})
        if reason:
            return f"{name}() {reason}"
    return None


@contextmanager
def _recording() -> Iterator[list[Any]]:
    """While active, every op.* call (batch ones too) is recorded instead of executed."""
    recorded: list[Any] = []
    with _RECORDING_LOCK:
        original = AbstractOperations.invoke

        def record(self: AbstractOperations, operation: Any) -> None:
            recorded.append(operation)

        AbstractOperations.invoke = record  # type: ignore[method-assign]
        try:
            yield recorded
        finally:
            AbstractOperations.invoke = original  # type: ignore[method-assign]


def read_operations(script: Script, direction: str, dialect: str, config: Config | None = None) -> tuple[Any, ...]:
    """The operations a revision's upgrade() or downgrade() invokes, recorded offline: no env.py, no database.

    With `config`, Alembic's `context` proxy is set up in offline mode too, so a revision that asks
    context.is_offline_mode() can be read (it then takes its offline branch: only an effect shows the other).
    """
    name = "mysql" if dialect == "mariadb" else dialect
    buffer = io.StringIO()
    function = getattr(script.module, "upgrade" if direction == "upgrade" else "downgrade")
    if config is None:
        context = MigrationContext.configure(
            dialect_name=name, opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True}
        )
        with Operations.context(context), _recording() as recorded:
            function()
        return tuple(recorded)
    from alembic.runtime.environment import EnvironmentContext

    with EnvironmentContext(config, ScriptDirectory.from_config(config), as_sql=True) as environment:
        environment.configure(dialect_name=name, as_sql=True, output_buffer=buffer, literal_binds=True)
        with Operations.context(environment.get_context()), _recording() as recorded:
            function()
    return tuple(recorded)


def flatten(operations: tuple[Any, ...] | list[Any]) -> list[tuple[str | None, Any]]:
    """(table, op) for every operation, with ModifyTableOps opened up."""
    pairs: list[tuple[str | None, Any]] = []
    for operation in operations:
        if isinstance(operation, ops.ModifyTableOps):
            pairs.extend((operation.table_name, sub) for sub in operation.ops)
        else:
            pairs.append((getattr(operation, "table_name", None), operation))
    return pairs


def _type(value: Any) -> Any:
    """Alembic accepts a type class (sa.TEXT) where an instance is meant: compare instances."""
    return value() if isinstance(value, type) else value


def losses_of_operations(operations: tuple[Any, ...]) -> tuple[str, ...]:
    """Drops and narrowing type changes among recorded operations."""
    found = []
    for table, operation in flatten(operations):
        if isinstance(operation, ops.DropTableOp):
            found.append(f"drops table {operation.table_name}")
        elif isinstance(operation, ops.DropColumnOp):
            found.append(f"drops column {table}.{operation.column_name}")
        elif isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None:
            old, new = _type(operation.existing_type), _type(operation.modify_type)
            where = f"{table}.{operation.column_name}"
            if old is None:
                found.append(f"{where} changes to {type_text(new, None)} without existing_type: may narrow")
                continue
            verdict, why = classify_type_change(old, new)
            if verdict == DATA_LOSS:
                found.append(f"{where} {type_text(old, None)} -> {type_text(new, None)}: {why}")
    return tuple(found)


# -- measuring a revision by running it ----------------------------------------------------------------------


@dataclass(frozen=True)
class TableState:
    """What the guard compares of one table: its columns' types and its row count."""

    columns: dict[str, Any]
    rows: int | None


def schema_state(connection: Connection) -> dict[str, TableState]:
    """Tables, column types and row counts, read through `connection` (inside a migration's transaction too)."""
    inspector = sa.inspect(connection)
    state = {}
    for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES):
        columns = {column["name"]: column["type"] for column in inspector.get_columns(table)}
        rows = int(connection.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one())
        state[table] = TableState(columns, rows)
    return state


def losses_between(before: dict[str, TableState], after: dict[str, TableState]) -> tuple[str, ...]:
    """What a step destroyed: tables and columns gone (renames excepted), types narrowed, rows deleted."""
    found = []
    gone = [name for name in before if name not in after]
    new = [name for name in after if name not in before]
    for name in gone:
        same = [
            other
            for other in new
            if set(after[other].columns) == set(before[name].columns) and after[other].rows == before[name].rows
        ]
        if same:  # a rename keeps the columns and the rows
            new.remove(same[0])
            continue
        rows = before[name].rows
        found.append(f"drops table {name}" + (f" ({rows} seeded row(s))" if rows else ""))
    for name, old in before.items():
        current = after.get(name)
        if current is None:
            continue
        dropped = [column for column in old.columns if column not in current.columns]
        added = [column for column in current.columns if column not in old.columns]
        for column in dropped:
            renamed = [
                other
                for other in added
                if type_text(current.columns[other], None) == type_text(old.columns[column], None)
            ]
            if len(dropped) == len(added) == 1 and renamed:
                continue  # one column out, one of the same type in: alter_column(new_column_name=...)
            found.append(f"drops column {name}.{column}")
        for column, old_type in old.columns.items():
            new_type = current.columns.get(column)
            if new_type is None:
                continue
            verdict, why = classify_type_change(old_type, new_type)
            if verdict == DATA_LOSS and type_text(old_type, None) != type_text(new_type, None):
                found.append(f"{name}.{column} {type_text(old_type, None)} -> {type_text(new_type, None)}: {why}")
        if old.rows is not None and current.rows is not None and current.rows < old.rows:
            found.append(f"deletes {old.rows - current.rows} of {old.rows} seeded row(s) from {name}")
    return tuple(found)


def _seed(url: URL) -> str:
    """A row in every table, so deletes show; returns what could not be seeded ('' when all went in)."""
    from .roundtrip import seed

    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            seed(connection)
        return ""
    except Exception as error:  # a table the seeder cannot fill: deletes there go unseen, schemas still compare
        return f"rows not seeded: {' '.join(str(getattr(error, 'orig', error)).split())[:120]}"
    finally:
        engine.dispose()


def measure(
    config: Config, like: str | URL, start: tuple[str, ...], steps: list[Step], direction: str, final: tuple[str, ...]
) -> dict[str, Verdict]:
    """Run the steps on a scratch database of `like`'s backend built at `start`, in one Alembic run as the real
    migration will, and judge each step by the schema and rows before and after it (snapshots taken inside
    the run at every version-table write)."""
    from .runner import current_heads, migrate, opened
    from .scratch import scratch_database

    backend = sync_url(parse_url(like)).get_backend_name()
    verdicts: dict[str, Verdict] = {}
    try:
        with scratch_database(like) as scratch:
            for head in start:
                migrate(config, scratch, "upgrade", head)
            seeded = _seed(scratch)
            where = f"{backend}, built at its parent revision" + (f"; {seeded}" if seeded else "")
            with opened(scratch) as connection:
                states = {start: schema_state(connection)}
                connection.rollback()

            def on_version(migrating: Connection) -> None:
                states[current_heads(migrating)] = schema_state(migrating)

            if direction == "upgrade":
                target = final[0] if len(final) == 1 else "heads"
            else:
                target = final[0] if final else "base"
            failure = ""
            try:
                migrate(config, scratch, direction, target, on_version=on_version)
            except Exception as error:
                failure = f"it failed on a scratch {backend} database: {_line(error)}"
            heads = start
            scripts = ScriptDirectory.from_config(config)
            for step in steps:
                after_heads = _heads_after(scripts, heads, step, direction, final)
                if heads in states and after_heads in states:
                    losses = losses_between(states[heads], states[after_heads])
                    verdicts[step.revision] = Verdict(step.revision, step.message, direction, EFFECT, losses, where)
                else:
                    reason = failure or f"no snapshot of the scratch database after {step.revision}"
                    verdicts[step.revision] = Verdict(step.revision, step.message, direction, UNJUDGED, reason=reason)
                heads = after_heads
    except SchemaToolsError as error:
        for step in steps:
            verdicts.setdefault(
                step.revision,
                Verdict(step.revision, step.message, direction, UNJUDGED, reason=f"no scratch database: {error}"),
            )
    return verdicts


def _heads_after(
    scripts: ScriptDirectory, heads: tuple[str, ...], step: Step, direction: str, final: tuple[str, ...]
) -> tuple[str, ...]:
    """The version table's rows once `step` has run from `heads` (one line of history)."""
    script = lookup(scripts, step.revision)
    if direction == "upgrade":
        below = set(parents(script))
        return tuple(sorted({*(h for h in heads if h not in below), step.revision}))
    remaining = {h for h in heads if h != step.revision} | set(parents(script))
    reachable = {h for h in remaining if h in _ancestors_or_self(scripts, final) or not final}
    return tuple(sorted(reachable if reachable else remaining))


def _ancestors_or_self(scripts: ScriptDirectory, revisions: tuple[str, ...]) -> set[str]:
    from .revisions import ancestors

    return ancestors(scripts, revisions)


def _line(error: BaseException) -> str:
    text = " ".join(str(getattr(error, "orig", None) or error).split())
    return text[:200] if text else type(error).__name__


def judge(
    config: Config,
    url: str | URL,
    start: tuple[str, ...],
    steps: list[Step],
    direction: str,
    final: tuple[str, ...],
) -> tuple[Verdict, ...]:
    """A verdict for every step of a planned migration of `url` from `start`; scratch work only when needed."""
    scripts = ScriptDirectory.from_config(config)
    dialect = sync_url(parse_url(url)).get_backend_name()
    verdicts: dict[str, Verdict] = {}
    dynamic = False
    for step in steps:
        script = lookup(scripts, step.revision)
        reason = why_dynamic(script, direction)
        if reason is not None:
            dynamic = True
            verdicts[step.revision] = Verdict(step.revision, step.message, direction, UNJUDGED, reason=reason)
            continue
        try:
            recorded = read_operations(script, direction, dialect, config)
        except Exception as error:  # the function raised when read: it depends on something at run time
            dynamic = True
            verdicts[step.revision] = Verdict(
                step.revision, step.message, direction, UNJUDGED, reason=f"reading it raised {_line(error)}"
            )
            continue
        verdicts[step.revision] = Verdict(
            step.revision, step.message, direction, OPERATIONS, losses_of_operations(recorded), operations=recorded
        )
    if dynamic:
        measured = measure(config, url, start, steps, direction, final)
        for step in steps:
            if verdicts[step.revision].judged_by == UNJUDGED:
                why = verdicts[step.revision].reason
                found = measured.get(step.revision)
                if found is not None and found.judged_by == EFFECT:
                    verdicts[step.revision] = Verdict(
                        step.revision, step.message, direction, EFFECT, found.losses, f"{why}; {found.reason}"
                    )
                elif found is not None:
                    verdicts[step.revision] = Verdict(
                        step.revision, step.message, direction, UNJUDGED, reason=f"{why}; {found.reason}"
                    )
    return tuple(verdicts[step.revision] for step in steps)


def judge_revision(config: Config, revision: str, direction: str, like: str | URL | None = None) -> Verdict:
    """One revision on its own (lint): read when plain, else measured on a scratch database at its parent."""
    scripts = ScriptDirectory.from_config(config)
    script = lookup(scripts, revision)
    step = Step(script.revision, first_line(script.doc))
    below = parents(script)
    if direction == "upgrade":
        start, final = below, (script.revision,)
    else:
        start, final = (script.revision,), below
    target = like if like is not None else "sqlite://"
    return judge(config, target, start, [step], direction, final)[0]
