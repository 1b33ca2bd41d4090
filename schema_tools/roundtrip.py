"""roundtrip(): upgrade, downgrade, upgrade every revision on a scratch database; schema and rows must survive.

Every migration runs through the app's own env.py (schema_tools.runner) on a scratch database of the
source's backend, never on the source. A failing revision does not end the lab: the scratch database is
made again and brought past it, so every revision after it is exercised and reported too.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .config import alembic_config, load_metadata
from .connect import create_sync_engine, parse_url, sync_url
from .display import escape, html_table, text_table
from .errors import ConfigurationError, ConnectionFailed, MigrationFailed
from .revisions import ancestors, first_line, parents
from .runner import migrate, read_heads, run_alembic
from .scratch import prepare, scratch_database
from .scripts import load_scripts
from .seeding import EnumLabels, check_constraints, describe_error, enum_labels, normalize_check, seed, seed_tables
from .settings import INTERNAL_TABLES, _normalize_default

__all__ = [
    "FAILED",
    "IRREVERSIBLE",
    "NOOP_DOWNGRADE",
    "NOT_REACHED",
    "OK",
    "RoundtripReport",
    "RoundtripStep",
    "data_snapshot",
    "enum_hints",
    "is_empty_function",
    "roundtrip",
    "row_differences",
    "schema_differences",
    "schema_snapshot",
    "scratch_database",
    "seed",
]

OK, IRREVERSIBLE, FAILED = "ok", "irreversible", "failed"
NOOP_DOWNGRADE, NOT_REACHED = "no-op downgrade", "not reached"
# Errors that say the environment, not a revision, is wrong: every step would fail alike, so they are raised.
_ENVIRONMENT_ERRORS = (ConfigurationError, ConnectionFailed)
_DUPLICATE = re.compile(
    r"already exists|duplicate (?:column|key name|check constraint|foreign key|index|constraint)"
    r"|\((?:1050|1060|1061|1826),",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RoundtripStep:
    """One revision's upgrade → downgrade → upgrade, and what the downgrade left different."""

    revision: str
    message: str
    up_ok: bool | None  # both upgrades ran; None: not reached
    down_ok: bool | None  # None: irreversible (NotImplementedError), or never run
    schema_restored: bool | None
    rows_kept: bool | None
    seconds: float
    status: str
    detail: str = ""


@dataclass(frozen=True)
class RoundtripReport:
    """The stairway over the whole history, on a scratch database of the backend."""

    backend: str
    steps: tuple[RoundtripStep, ...]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.status == OK for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def step(self, revision: str) -> RoundtripStep:
        """The step of one revision (KeyError when the history has no such revision)."""
        for step in self.steps:
            if step.revision == revision:
                return step
        raise KeyError(revision)

    def _rows(self, timings: bool) -> list[tuple[Any, ...]]:
        def mark(value: bool | None) -> str:
            return "n/a" if value is None else ("yes" if value else "NO")

        rows = []
        for s in self.steps:
            down = {IRREVERSIBLE: "irreversible", NOOP_DOWNGRADE: "no-op"}.get(s.status, mark(s.down_ok))
            row: tuple[Any, ...] = (
                s.revision,
                s.message[:48],
                mark(s.up_ok),
                down,
                mark(s.schema_restored),
                mark(s.rows_kept),
                s.status,
            )
            rows.append((*row, f"{s.seconds:.2f}", s.detail) if timings else (*row, s.detail))
        return rows

    def _headline(self) -> str:
        counts = {status: sum(s.status == status for s in self.steps) for status in (FAILED, IRREVERSIBLE)}
        verdict = f"{counts[FAILED]} failed, {counts[IRREVERSIBLE]} irreversible"
        for status in (NOOP_DOWNGRADE, NOT_REACHED):
            found = sum(s.status == status for s in self.steps)
            if found:
                verdict += f", {found} {status}"
        verdict = "all revisions round-trip" if self.ok else verdict
        return f"Roundtrip on a scratch {self.backend} database: {len(self.steps)} revisions, {verdict}"

    _HEADERS = ("revision", "message", "up ok", "down ok", "schema restored", "rows kept", "status")

    def __str__(self) -> str:
        table = text_table((*self._HEADERS, "seconds", "detail"), self._rows(timings=True))
        return f"{self._headline()} ({self.seconds:.2f} s)\n{table}"

    def __repr__(self) -> str:  # no timings: stored notebook outputs stay the same from run to run
        return f"{self._headline()}\n{text_table((*self._HEADERS, 'detail'), self._rows(timings=False))}"

    def _repr_html_(self) -> str:
        rows = [[str(v) for v in row] for row in self._rows(timings=False)]
        return html_table((*self._HEADERS, "detail"), rows, caption=escape(self._headline()))


# -- snapshots ----------------------------------------------------------------------------------------------


def _type_text(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type this dialect cannot render: its repr still tells two types apart
        return repr(type_)


def _default_text(value: Any) -> str | None:
    return _normalize_default(None if value is None else str(value), None)


def _fk_options(foreign_key: dict[str, Any]) -> str:
    """ON DELETE / ON UPDATE and the like, as one comparable phrase ("none" without any)."""
    options = sorted((key, str(value).lower()) for key, value in (foreign_key.get("options") or {}).items() if value)
    return ", ".join(f"{key} {value}" for key, value in options) or "none"


def _index_columns(index: dict[str, Any]) -> tuple[str, ...]:
    names = index.get("column_names") or []
    expressions = index.get("expressions") or []
    return tuple(name if name is not None else str(expressions[i]) for i, name in enumerate(names)) or tuple(
        str(e) for e in expressions
    )


def schema_snapshot(connection: Connection) -> dict[str, Any]:
    """Tables (columns with type, nullability and default; keys, indexes, uniques, CHECKs), views, and
    PostgreSQL enum types with their labels in order: what a downgrade must put back exactly."""
    inspector = sa.inspect(connection)
    dialect = connection.dialect
    checks = check_constraints(connection)
    tables: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES):
        columns = {}
        for column in inspector.get_columns(table):
            shape = {
                "type": _type_text(column["type"], dialect),
                "nullable": bool(column["nullable"]),
                "default": _default_text(column.get("default")),
            }
            if column.get("computed"):
                shape["computed"] = normalize_check(str(column["computed"].get("sqltext", "")))
            columns[column["name"]] = shape
        tables[table] = {
            "columns": columns,
            "primary key": tuple(inspector.get_pk_constraint(table).get("constrained_columns") or ()),
            "foreign keys": {
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"])): _fk_options(fk)
                for fk in inspector.get_foreign_keys(table)
            },
            "indexes": {ix["name"]: (_index_columns(ix), bool(ix["unique"])) for ix in inspector.get_indexes(table)},
            "unique constraints": {
                u["name"] or _listing(tuple(u["column_names"])): _listing(tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            },
            "check constraints": {
                name or normalize_check(text): normalize_check(text) for name, text in checks.get(table, ())
            },
        }
    enums: dict[str, tuple[str, ...]] = {}
    if dialect.name == "postgresql":
        enums = {enum["name"]: tuple(enum["labels"]) for enum in inspector.get_enums()}  # type: ignore[attr-defined]
    return {"tables": tables, "enums": enums, "views": tuple(sorted(inspector.get_view_names()))}


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def data_snapshot(connection: Connection) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """Every table's column names and rows, sorted, with JSON text parsed so formatting does not count."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection, only=lambda name, _: name not in INTERNAL_TABLES)
    data = {}
    for name, table in sorted(metadata.tables.items()):
        rows = [tuple(_plain(v) for v in row) for row in connection.execute(sa.select(table))]
        data[name] = (tuple(column.name for column in table.columns), sorted(rows, key=repr))
    return data


# -- differences ----------------------------------------------------------------------------------------------


def _listing(values: tuple[str, ...]) -> str:
    return f"({', '.join(values)})"


def _yes_no(value: Any) -> str:
    return "YES" if value else "NO"


def _shown(attribute: str, value: Any) -> str:
    if attribute == "nullable":
        return _yes_no(value)
    return "none" if value is None else str(value)


def _keyed(
    kind: str,
    table: str,
    before: dict[Any, Any],
    after: dict[Any, Any],
    show: Callable[[Any], str],
    differences: Callable[[Any, Any], list[str]] | None = None,
) -> list[str]:
    """Objects of one kind left behind, missing, or changed (each difference named when `differences` is given)."""
    parts = []
    for key in sorted(set(before) | set(after), key=repr):
        label = f"{kind} {show(key)} on {table}"
        if key not in before:
            parts.append(f"{label} left behind")
        elif key not in after:
            parts.append(f"{label} missing")
        elif before[key] != after[key]:
            found = (
                differences(before[key], after[key]) if differences else [f"before {before[key]}, after {after[key]}"]
            )
            parts.extend(f"{label}: {difference}" for difference in found)
    return parts


def _index_differences(old: tuple[Any, bool], new: tuple[Any, bool]) -> list[str]:
    (old_columns, old_unique), (new_columns, new_unique) = old, new
    found = []
    if old_columns != new_columns:
        found.append(f"columns before {_listing(old_columns)}, after {_listing(new_columns)}")
    if old_unique != new_unique:
        found.append(f"unique before {_yes_no(old_unique)}, after {_yes_no(new_unique)}")
    return found


def _table_changes(table: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    parts = []
    old_columns, new_columns = before["columns"], after["columns"]
    parts += [f"{table}.{column} left behind" for column in new_columns if column not in old_columns]
    parts += [f"{table}.{column} missing" for column in old_columns if column not in new_columns]
    for column, old in old_columns.items():
        new = new_columns.get(column)
        if new is None:
            continue
        for attribute in sorted(set(old) | set(new), key=("type", "nullable", "default", "computed").index):
            if old.get(attribute) != new.get(attribute):
                parts.append(
                    f"{table}.{column}: {attribute} before {_shown(attribute, old.get(attribute))}, "
                    f"after {_shown(attribute, new.get(attribute))}"
                )
    if before["primary key"] != after["primary key"]:
        parts.append(
            f"{table}: primary key before {_listing(before['primary key'])}, after {_listing(after['primary key'])}"
        )

    def foreign_key(key: tuple[Any, ...]) -> str:
        return f"{_listing(key[0])} -> {key[1]}{_listing(key[2])}"

    parts += _keyed("foreign key", table, before["foreign keys"], after["foreign keys"], foreign_key)
    parts += _keyed("index", table, before["indexes"], after["indexes"], str, _index_differences)
    parts += _keyed("unique constraint", table, before["unique constraints"], after["unique constraints"], str)
    parts += _keyed("check constraint", table, before["check constraints"], after["check constraints"], str)
    return parts


def schema_differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two schema snapshots, naming table, column and attribute ("t.c: nullable before
    YES, after NO", "index ix on t left behind", "enum e: labels before (A, B), after (A)")."""
    parts: list[str] = []
    old_tables, new_tables = before["tables"], after["tables"]
    for table in sorted(set(old_tables) | set(new_tables)):
        if table not in old_tables:
            parts.append(f"table {table} left behind")
        elif table not in new_tables:
            parts.append(f"table {table} missing")
        else:
            parts += _table_changes(table, old_tables[table], new_tables[table])
    old_enums, new_enums = before["enums"], after["enums"]
    for enum in sorted(set(old_enums) | set(new_enums)):
        if enum not in old_enums:
            parts.append(f"enum {enum} left behind")
        elif enum not in new_enums:
            parts.append(f"enum {enum} missing")
        elif old_enums[enum] != new_enums[enum]:
            parts.append(f"enum {enum}: labels before {_listing(old_enums[enum])}, after {_listing(new_enums[enum])}")
    parts += [f"view {view} left behind" for view in after["views"] if view not in before["views"]]
    parts += [f"view {view} missing" for view in before["views"] if view not in after["views"]]
    return parts


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def row_differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Rows that did not come back, on the columns both snapshots have ("t: 2 rows before, 1 after",
    "t.c: values before 'x', after None"). A missing table is the schema's difference, not repeated here."""
    parts = []
    for table, (old_columns, old_rows) in before.items():
        if table not in after:
            continue
        new_columns, new_rows = after[table]
        common = [column for column in old_columns if column in new_columns]
        old_at = [old_columns.index(column) for column in common]
        new_at = [new_columns.index(column) for column in common]
        old = sorted((tuple(row[i] for i in old_at) for row in old_rows), key=repr)
        new = sorted((tuple(row[i] for i in new_at) for row in new_rows), key=repr)
        if old == new:
            continue
        if len(old) != len(new):
            parts.append(f"{table}: {len(old)} rows before, {len(new)} after")
            continue
        for position, column in enumerate(common):
            old_values = sorted((row[position] for row in old), key=repr)
            new_values = sorted((row[position] for row in new), key=repr)
            pairs = [(a, b) for a, b in zip(old_values, new_values, strict=True) if a != b]
            if pairs:
                parts.append(f"{table}.{column}: values before {_short(pairs[0][0])}, after {_short(pairs[0][1])}")
        if not any(part.startswith(f"{table}.") for part in parts):
            parts.append(f"{table}: rows differ")
    return parts


# -- reading a revision ----------------------------------------------------------------------------------------


def is_empty_function(script: Script, name: str) -> bool:
    """True when the revision's `name`() is only `pass`, `...` and a docstring (read from its AST, not run)."""
    function = getattr(script.module, name, None)
    if function is None:
        return False
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in node.body
    )


def _not_implemented(error: BaseException) -> bool:
    """True when NotImplementedError is the error or anywhere in its chain of causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, NotImplementedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _first_message(error: BaseException) -> str:
    for current in (error, error.__cause__, error.__context__):
        if isinstance(current, NotImplementedError) and str(current).strip():
            return str(current).strip().splitlines()[0]
    return "NotImplementedError"


# -- the lab --------------------------------------------------------------------------------------------------


class _Scratch:
    """The scratch database the stairway climbs; made again whenever a failure left it in an unknown state."""

    def __init__(self, config: Config, like: Any, scripts: ScriptDirectory) -> None:
        self.config = config
        self.like = like
        self.scripts = scripts
        self.backend = (sync_url(parse_url(like)) if like is not None else sa.make_url("sqlite://")).get_backend_name()
        self._stack = ExitStack()
        self.url: URL | None = None
        self.engine: sa.Engine | None = None
        self.heads: tuple[str, ...] | None = None  # None: unknown, the database must be made again

    def fresh(self) -> None:
        self.close()
        self._stack = ExitStack()
        self.url = self._stack.enter_context(scratch_database(self.like))
        self.engine = create_sync_engine(self.url)
        self._stack.callback(self.engine.dispose)
        prepare(self.config, self.url)  # the app's scratch-setup, for histories that start on its own tables
        self.heads = ()

    def close(self) -> None:
        self._stack.close()
        self.url = self.engine = None
        self.heads = None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        assert self.engine is not None
        with self.engine.connect() as connection:
            try:
                yield connection
            finally:
                if connection.in_transaction():
                    connection.rollback()

    def migrate(self, direction: str, target: str) -> None:
        assert self.url is not None
        self.heads = None
        migrate(self.config, self.url, direction, target)
        self.heads = read_heads(self.url)

    def downgrade_one(self, script: Script) -> None:
        """Undo `script` only: to its parent, or for a merge to all its parents (what Alembic's downgrade to
        one parent of a merge does, though runner.migrate expects that parent alone)."""
        assert self.url is not None
        below = parents(script)
        if len(below) <= 1:
            self.migrate("downgrade", below[0] if below else "base")
            return
        self.heads = None
        run_alembic(self.config, self.url, lambda cfg: command.downgrade(cfg, below[0]))
        self.heads = read_heads(self.url)
        if set(self.heads) != set(below):
            raise MigrationFailed(f"the downgrade left the database at {', '.join(self.heads) or 'base'}")

    def reach(self, wanted: tuple[str, ...]) -> str | None:
        """Bring the database to exactly `wanted`; None when there, else why a fresh database cannot get there."""
        if self.heads is not None and set(self.heads) == set(wanted):
            return None
        if self.heads is not None and set(self.heads) <= ancestors(self.scripts, wanted):
            try:
                for revision in wanted:
                    if revision not in self.heads:
                        self.migrate("upgrade", revision)
                if self.heads is not None and set(self.heads) == set(wanted):
                    return None
            except _ENVIRONMENT_ERRORS:
                raise
            except Exception:  # a fresh database is tried next, and its failure is the one reported
                pass
        self.fresh()
        for revision in wanted:
            try:
                self.migrate("upgrade", revision)
            except _ENVIRONMENT_ERRORS:
                raise
            except Exception as error:
                self.heads = None
                return f"a fresh database cannot be upgraded to {revision}: {describe_error(error)}"
        return None


@dataclass(frozen=True)
class _Cycle:
    """What one upgrade → downgrade → upgrade did; `upgrade_error` is set when the first upgrade failed."""

    status: str
    up_ok: bool | None
    down_ok: bool | None
    schema_restored: bool | None = None
    rows_kept: bool | None = None
    details: tuple[str, ...] = ()
    upgrade_error: str | None = None
    had_rows: bool = False


class _Stairway:
    """Runs the steps in order and remembers what later steps must know: unreachable revisions, unseeded tables."""

    def __init__(self, scratch: _Scratch, seed_rows: bool, labels: EnumLabels) -> None:
        self.scratch = scratch
        self.seed_rows = seed_rows
        self.labels = labels
        self.unreachable: dict[str, str] = {}
        self.unseeded: set[str] = set()

    def _seed(self) -> list[str]:
        notes = []
        try:
            assert self.scratch.engine is not None
            with self.scratch.engine.begin() as connection:
                report = seed_tables(connection, labels=self.labels)
        except Exception as error:  # a schema the seeder cannot read: the step still runs, without rows
            return [f"seeding failed: {describe_error(error)}"]
        for table, reason in report.skipped:
            if table not in self.unseeded:
                self.unseeded.add(table)
                notes.append(f"{table} not seeded: {reason}")
        return notes

    def _snapshots(self) -> tuple[dict[str, Any], dict[str, Any]]:
        with self.scratch.connection() as connection:
            return schema_snapshot(connection), data_snapshot(connection)

    def step(self, script: Script) -> RoundtripStep:
        revision, message, below = script.revision, first_line(script.doc), parents(script)
        start = time.perf_counter()

        def result(cycle: _Cycle, *notes: str) -> RoundtripStep:
            detail = "; ".join(part for part in (*cycle.details, *notes) if part)
            seconds = time.perf_counter() - start
            return RoundtripStep(
                revision,
                message,
                cycle.up_ok,
                cycle.down_ok,
                cycle.schema_restored,
                cycle.rows_kept,
                seconds,
                cycle.status,
                detail,
            )

        blocked = next((parent for parent in below if parent in self.unreachable), None)
        why = self.unreachable[blocked] if blocked is not None else self.scratch.reach(below)
        if why is not None:
            self.unreachable[revision] = why
            return result(_Cycle(NOT_REACHED, None, None, details=(f"not reached: {why}",)))
        notes = self._seed() if self.seed_rows else []
        cycle = self._cycle(script)
        if cycle.upgrade_error is None or not cycle.had_rows:
            return result(cycle, *notes)
        # The upgrade refused the seeded rows: run the step again on empty tables, so its downgrade is still
        # exercised and the database moves past it for the revisions after it.
        self.scratch.heads = None
        if self.scratch.reach(below) is not None:
            return result(cycle, *notes)
        empty = self._cycle(script)
        if empty.upgrade_error is not None:
            return result(cycle, *notes)
        verdict = "round-trips" if empty.status == OK else empty.status
        details = (f"upgrade failed on the seeded rows: {cycle.upgrade_error}", f"on empty tables it {verdict}")
        status = FAILED if empty.status == OK else empty.status
        return result(
            _Cycle(status, False, empty.down_ok, empty.schema_restored, None, (*details, *empty.details)), *notes
        )

    def _cycle(self, script: Script) -> _Cycle:
        """Upgrade, downgrade and upgrade `script` on the scratch database, which is at its parents."""
        revision = script.revision
        schema_before, data_before = self._snapshots()
        had_rows = any(rows for _, rows in data_before.values())
        try:
            self.scratch.migrate("upgrade", revision)
        except _ENVIRONMENT_ERRORS:
            raise
        except Exception as error:
            problem = describe_error(error)
            return _Cycle(
                FAILED, False, None, details=(f"upgrade failed: {problem}",), upgrade_error=problem, had_rows=had_rows
            )

        empty_downgrade = is_empty_function(script, "downgrade") and not is_empty_function(script, "upgrade")
        try:
            self.scratch.downgrade_one(script)
        except _ENVIRONMENT_ERRORS:
            raise
        except Exception as error:
            self.scratch.heads = None
            if _not_implemented(error):
                return _Cycle(IRREVERSIBLE, True, None, details=(f"irreversible: {_first_message(error)}",))
            return _Cycle(FAILED, True, False, details=(f"downgrade failed: {describe_error(error)}",))

        schema_after, data_after = self._snapshots()
        schema_changes = schema_differences(schema_before, schema_after)
        row_changes = row_differences(data_before, data_after)
        rows_kept = not row_changes and all(table in data_after for table, (_, rows) in data_before.items() if rows)
        details = ["downgrade() is empty: nothing was undone"] if empty_downgrade else []
        if schema_changes:
            details.append("schema not restored: " + "; ".join(schema_changes))
        if row_changes:
            details.append("rows not kept: " + "; ".join(row_changes))
        status = NOOP_DOWNGRADE if empty_downgrade else (OK if not schema_changes and rows_kept else FAILED)
        up_ok = True
        try:
            self.scratch.migrate("upgrade", revision)
        except _ENVIRONMENT_ERRORS:
            raise
        except Exception as error:
            again = f"upgrade after the downgrade failed: {describe_error(error)}"
            if empty_downgrade and _DUPLICATE.search(again):
                again += " (a duplicate: the empty downgrade left what the upgrade creates)"
            details.append(again)
            status = NOOP_DOWNGRADE if empty_downgrade else FAILED
            up_ok = False
        return _Cycle(status, up_ok, True, not schema_changes, rows_kept, tuple(details))


def enum_hints(config: Config, revisions: list[Script], dialect: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """Enum labels of string columns, from what the app's code declares: its models, the models and tables
    revision modules define, and the operations of plain revisions (read offline). On SQLite an Enum made
    without create_constraint is a bare VARCHAR, and a revision reading a value outside its labels fails."""
    from alembic.operations import ops

    from .guard import read_operations, why_dynamic
    from .lint import flatten_ops as flatten

    metadatas: list[sa.MetaData] = []
    try:
        metadatas.append(load_metadata(config=config))
    except Exception:  # no models configured, or they do not import: the other sources remain
        pass
    for script in revisions:
        metadatas.extend(_module_metadata(script.module))
        if why_dynamic(script, "upgrade") is not None:
            continue
        try:
            recorded = read_operations(script, "upgrade", dialect)
        except Exception:  # a revision that cannot be read offline gives no labels
            continue
        metadata = sa.MetaData()
        for table, operation in flatten(recorded):
            columns: list[sa.Column[Any]] = []
            if isinstance(operation, ops.CreateTableOp):
                columns = [c for c in operation.columns if isinstance(c, sa.Column)]
            elif isinstance(operation, ops.AddColumnOp):
                columns = [operation.column]
            elif isinstance(operation, ops.AlterColumnOp) and isinstance(operation.modify_type, sa.Enum):
                columns = [sa.Column(operation.column_name, operation.modify_type)]
            enums = [sa.Column(c.name, c.type) for c in columns if isinstance(c.type, sa.Enum)]
            if table and enums:
                existing = metadata.tables.get(table)
                if existing is None:
                    sa.Table(table, metadata, *enums)
                else:
                    for column in enums:
                        if column.name not in existing.columns:
                            existing.append_column(column)
        metadatas.append(metadata)
    return enum_labels(metadatas)


def _module_metadata(module: Any) -> list[sa.MetaData]:
    found: dict[int, sa.MetaData] = {}
    for value in list(vars(module).values()):
        try:
            candidate = value if isinstance(value, sa.MetaData) else getattr(value, "metadata", None)
        except Exception:  # a proxy (alembic.context) refuses attribute access outside a run
            continue
        if isinstance(candidate, sa.MetaData):
            found[id(candidate)] = candidate
    return list(found.values())


def _progress_line(step: RoundtripStep) -> str:
    line = f"revision {step.revision}: {step.status}"
    return f"{line} ({step.detail})" if step.status != OK and step.detail else line


def roundtrip(
    source: str | URL | None = None,
    *,
    config: Config | None = None,
    seed_rows: bool = True,
    progress: Callable[[str], None] | None = None,
) -> RoundtripReport:
    """Stairway every revision base → head on a scratch database of `source`'s backend (never `source` itself;
    a temporary SQLite file by default): upgrade it, downgrade it, upgrade it again.

    After each downgrade the schema must equal the one before the upgrade and, with seeded rows, every row
    and value must be back. A failing revision is reported and the lab goes on past it; `progress` hears
    one line per revision ("revision X: ok").
    """
    cfg = config if config is not None else alembic_config(quiet=True)
    scripts = load_scripts(cfg)
    revisions = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    scratch = _Scratch(cfg, source, scripts)
    labels = enum_hints(cfg, revisions, scratch.backend) if seed_rows else {}
    stairway = _Stairway(scratch, seed_rows, labels)
    steps: list[RoundtripStep] = []
    try:
        for script in revisions:
            step = stairway.step(script)
            steps.append(step)
            if progress is not None:
                progress(_progress_line(step))
    finally:
        scratch.close()
    return RoundtripReport(scratch.backend, tuple(steps))
