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
from .errors import EnvironmentMismatch
from .lint import flatten_ops
from .revisions import Step, ancestors, first_line, lookup, parents
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
        context_call = item.context_expr
        if (
            isinstance(context_call, ast.Call)
            and isinstance(context_call.func, ast.Attribute)
            and isinstance(context_call.func.value, ast.Name)
            and context_call.func.value.id in operation_names
            and context_call.func.attr == "batch_alter_table"
            and isinstance(item.optional_vars, ast.Name)
        ):
            inner_names = {*operation_names, item.optional_vars.id}
            reason = _dynamic_parts(context_call, operation_names)
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

        AbstractOperations.invoke = record  # type: ignore[method-assign,assignment]
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


def _type(value: Any) -> Any:
    """Alembic accepts a type class (sa.TEXT) where an instance is meant: compare instances."""
    return value() if isinstance(value, type) else value


def losses_of_operations(operations: tuple[Any, ...]) -> tuple[str, ...]:
    """Drops and narrowing type changes among recorded operations."""
    found = []
    for table, operation in flatten_ops(operations):
        if isinstance(operation, ops.DropTableOp):
            found.append(f"drops table {operation.table_name}")
        elif isinstance(operation, ops.DropColumnOp):
            found.append(f"drops column {table}.{operation.column_name}")
        elif isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None:
            old, new = _type(operation.existing_type), _type(operation.modify_type)
            if old is None:
                continue  # needs_effect() sends such a revision to be measured: its old type is in the database
            verdict, why = classify_type_change(old, new)
            if verdict == DATA_LOSS:
                where = f"{table}.{operation.column_name}"
                found.append(f"{where} {type_text(old, None)} -> {type_text(new, None)}: {why}")
    return tuple(found)


def needs_effect(operations: tuple[Any, ...]) -> str | None:
    """Why a plain revision's operations still cannot tell what it destroys: a type change with no existing_type
    (only the database knows the type it changes from)."""
    for table, operation in flatten_ops(operations):
        if isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None:
            if operation.existing_type is None:
                return f"alter_column {table}.{operation.column_name} changes the type without existing_type"
    return None


def read_verdict(script: Script, direction: str, dialect: str, config: Config | None) -> Verdict:
    """The verdict reading alone gives: OPERATIONS when exact, else UNJUDGED with why it must be measured."""
    step = Step(script.revision, first_line(script.doc))
    reason = why_dynamic(script, direction)
    if reason is None:
        try:
            recorded = read_operations(script, direction, dialect, config)
        except Exception as error:  # the function raised when read: it depends on something at run time
            reason = f"reading it raised {_line(error)}"
        else:
            reason = needs_effect(recorded)
            if reason is None:
                losses = losses_of_operations(recorded)
                return Verdict(step.revision, step.message, direction, OPERATIONS, losses, operations=recorded)
    return Verdict(step.revision, step.message, direction, UNJUDGED, reason=reason)


# -- measuring a revision by running it ----------------------------------------------------------------------

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class TableState:
    """What the guard compares of one table: its columns' types, its row count, and a sample of its values
    (so a renamed column or table, which keeps its values, is told from a drop and a new one)."""

    columns: dict[str, Any]
    rows: int | None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)


def schema_state(connection: Connection) -> dict[str, TableState]:
    """Tables, column types, row counts and sampled values, read through `connection` (inside a migration's
    transaction too, to see the schema exactly as one revision left it)."""
    inspector = sa.inspect(connection)
    state = {}
    for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES):
        columns = {column["name"]: column["type"] for column in inspector.get_columns(table)}
        handle = sa.table(table, *(sa.column(name) for name in columns))
        rows = int(connection.execute(sa.select(sa.func.count()).select_from(handle)).scalar_one())
        sample = connection.execute(sa.select(handle).limit(SAMPLE_ROWS)).all() if columns else []
        values = {name: tuple(sorted(repr(row[index]) for row in sample)) for index, name in enumerate(columns)}
        state[table] = TableState(columns, rows, values)
    return state


def _same_values(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Two columns hold the same values (and some value at all: an all-NULL column proves no rename)."""
    return bool(left) and left == right and any(value != "None" for value in left)


def losses_between(before: dict[str, TableState], after: dict[str, TableState]) -> tuple[str, ...]:
    """What a step destroyed: tables and columns gone (a rename keeps its values), types narrowed, rows deleted."""
    found = []
    new_tables = [name for name in after if name not in before]
    for name in (name for name in before if name not in after):
        old = before[name]
        renamed = [
            other
            for other in new_tables
            if set(after[other].columns) == set(old.columns)
            and after[other].rows == old.rows
            and all(after[other].values.get(column) == old.values.get(column) for column in old.columns)
        ]
        if renamed and old.rows:
            new_tables.remove(renamed[0])
            continue
        rows = f" ({old.rows} seeded row(s))" if old.rows else ""
        found.append(f"drops table {name}{rows}")
    for name, old in before.items():
        current = after.get(name)
        if current is None:
            continue
        added = [column for column in current.columns if column not in old.columns]
        for column in (column for column in old.columns if column not in current.columns):
            same = [other for other in added if _same_values(current.values.get(other, ()), old.values.get(column, ()))]
            if same:  # alter_column(new_column_name=...) keeps every value
                added.remove(same[0])
                continue
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


def _seed(url: URL, labels: Any) -> str:
    """Rows in every table, so deletes and renames show; returns what could not be seeded ('' when all went in)."""
    from .seeding import seed_tables

    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            report = seed_tables(connection, labels=labels)
    except Exception as error:  # the seeder itself failed: schemas still compare, deletes go unseen
        return f"rows not seeded: {_line(error)[:120]}"
    finally:
        engine.dispose()
    if report.skipped:
        names = ", ".join(table for table, _ in report.skipped[:3]) + (", ..." if len(report.skipped) > 3 else "")
        return f"no rows seeded in {names}"
    return ""


def _labels(config: Config, scripts: ScriptDirectory, backend: str) -> Any:
    """Enum labels for string columns the database does not constrain (SQLite's bare Enum), from the app's code."""
    from .roundtrip import enum_hints

    try:
        return enum_hints(config, list(scripts.walk_revisions()), backend)
    except Exception:  # labels only make seeds valid; without them a seeded enum may be refused, never misjudged
        return {}


@contextmanager
def _scratch_at(
    config: Config, like: str | URL, start: tuple[str, ...], clone_from: URL | None
) -> Iterator[tuple[URL, str]]:
    """A scratch database of `like`'s backend at `start`: a copy of `clone_from`'s schema when given (the schema
    the revisions will really meet), else built by the app's own history through env.py (after scratch-setup)."""
    from .clone import CloneFailed, clone_schema
    from .runner import migrate
    from .scratch import prepare, scratch_database

    if clone_from is not None:
        with scratch_database(like) as scratch:
            try:
                clone_schema(clone_from, scratch)
            except CloneFailed:
                pass  # no dump tool, say: build it from the history below instead
            else:
                yield scratch, "a copy of the database's schema"
                return
    with scratch_database(like) as scratch:
        prepare(config, scratch)
        for head in start:
            migrate(config, scratch, "upgrade", head)
        yield scratch, "built by its history at the parent revision"


@dataclass
class _Run:
    """One rehearsal on a scratch database: the states at each version, how it was built, and what failed."""

    states: dict[tuple[str, ...], dict[str, TableState]]
    where: str
    failure: BaseException | None


def _rehearse(
    config: Config, like: str | URL, start: tuple[str, ...], clone_from: URL | None, direction: str, target: str,
    labels: Any, *, seeded: bool,
) -> _Run:  # fmt: skip
    """Build a scratch database at `start`, seed it (or not), migrate it to `target` with snapshots."""
    from .runner import current_heads, migrate, opened

    backend = sync_url(parse_url(like)).get_backend_name()
    with _scratch_at(config, like, start, clone_from) as (scratch, how):
        note = _seed(scratch, labels) if seeded else "on empty tables"
        where = f"{backend}, {how}" + (f"; {note}" if note else "")
        with opened(scratch) as connection:
            states = {start: schema_state(connection)}
            connection.rollback()

        def on_version(migrating: Connection) -> None:
            states[current_heads(migrating)] = schema_state(migrating)

        try:
            migrate(config, scratch, direction, target, on_version=on_version)
        except EnvironmentMismatch:  # env.py ignores the URL it is given: a setup error, not a verdict
            raise
        except Exception as error:
            return _Run(states, where, error)
    return _Run(states, where, None)


def measure(
    config: Config,
    like: str | URL,
    start: tuple[str, ...],
    steps: list[Step],
    direction: str,
    final: tuple[str, ...],
    *,
    clone_from: URL | None = None,
) -> dict[str, Verdict]:
    """Judge each step by running the steps on a scratch database at `start`, in one Alembic run as the real
    migration will, comparing the schema, rows and values before and after each (snapshots taken inside the
    run at every version-table write). A run that fails on the seeded rows is run again on empty tables.
    After a revision that fails even then, a downgrade goes on from a new scratch database built below it;
    an upgrade cannot reach what comes after, and says so."""
    scripts = ScriptDirectory.from_config(config)
    backend = sync_url(parse_url(like)).get_backend_name()
    labels = _labels(config, scripts, backend)
    verdicts: dict[str, Verdict] = {}
    index, segment_start, clone = 0, start, clone_from
    target = (final[0] if len(final) == 1 else "heads") if direction == "upgrade" else (final[0] if final else "base")

    def judge_from(run: _Run, heads: tuple[str, ...], position: int, note: str = "") -> tuple[int, tuple[str, ...]]:
        """Verdicts for the steps the run has snapshots around; returns where it stopped."""
        while position < len(steps):
            step = steps[position]
            after = _heads_after(scripts, heads, step, direction, final)
            if heads not in run.states or after not in run.states:
                break
            losses = losses_between(run.states[heads], run.states[after])
            verdicts[step.revision] = Verdict(step.revision, step.message, direction, EFFECT, losses, run.where + note)
            heads, position = after, position + 1
        return position, heads

    while index < len(steps):
        try:
            run = _rehearse(config, like, segment_start, clone, direction, target, labels, seeded=True)
            stopped, heads = judge_from(run, segment_start, index)
            failure = run.failure
            if stopped < len(steps) and failure is not None:
                seeded_error = _line(failure)
                bare = _rehearse(config, like, segment_start, clone, direction, target, labels, seeded=False)
                note = f" (it failed with seeded rows: {seeded_error[:120]})"
                stopped, heads = judge_from(bare, heads, stopped, note)
                failure = bare.failure
        except EnvironmentMismatch:
            raise
        except Exception as error:  # no scratch database could be made or brought to the start
            where_to = ", ".join(segment_start) or "base"
            reason = f"no scratch {backend} database could be built at {where_to}: {_line(error)}"
            for step in steps[index:]:
                verdicts[step.revision] = Verdict(step.revision, step.message, direction, UNJUDGED, reason=reason)
            break
        index = stopped
        if index >= len(steps):
            break
        failed = steps[index]
        reason = (
            f"it failed on a scratch {backend} database: {_line(failure)}"
            if failure is not None
            else f"the scratch run left no snapshot after {failed.revision}"
        )
        verdicts[failed.revision] = Verdict(failed.revision, failed.message, direction, UNJUDGED, reason=reason)
        index += 1
        if direction == "upgrade":
            for step in steps[index:]:
                verdicts[step.revision] = Verdict(
                    step.revision, step.message, direction, UNJUDGED,
                    reason=f"not reached on the scratch database: {failed.revision} fails before it",
                )  # fmt: skip
            break
        segment_start, clone = ((steps[index].revision,) if index < len(steps) else ()), None
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
    reachable = {h for h in remaining if h in ancestors(scripts, final) or not final}
    return tuple(sorted(reachable if reachable else remaining))


def _line(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    text = " ".join(str(getattr(error, "orig", None) or error).split())
    return text[:200] if text else type(error).__name__


def judge(
    config: Config,
    url: str | URL,
    start: tuple[str, ...],
    steps: list[Step],
    direction: str,
    final: tuple[str, ...],
    *,
    clone: bool = True,
) -> tuple[Verdict, ...]:
    """A verdict for every step of a planned migration of `url` (now at `start`); scratch work only when needed,
    on a copy of `url`'s schema (`clone`), else on a database the history builds at `start`."""
    scripts = ScriptDirectory.from_config(config)
    dialect = sync_url(parse_url(url)).get_backend_name()
    verdicts = {
        step.revision: read_verdict(lookup(scripts, step.revision), direction, dialect, config) for step in steps
    }
    if any(verdict.judged_by == UNJUDGED for verdict in verdicts.values()):
        source = sync_url(parse_url(url)) if clone else None
        measured = measure(config, url, start, steps, direction, final, clone_from=source)
        for step in steps:
            read = verdicts[step.revision]
            if read.judged_by != UNJUDGED:
                continue
            found = measured.get(step.revision)
            if found is None:
                continue
            reason = f"{read.reason}; {found.reason}"
            verdicts[step.revision] = Verdict(
                step.revision, step.message, direction, found.judged_by, found.losses, reason
            )
    return tuple(verdicts[step.revision] for step in steps)
