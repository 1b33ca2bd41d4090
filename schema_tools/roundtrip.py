"""roundtrip(): upgrade, downgrade, upgrade every revision on a scratch database; schema and rows must survive."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import types as satypes
from sqlalchemy.pool import NullPool

from .connect import parse_url, sync_url
from .display import escape, html_table, text_table
from .scripts import load_scripts
from .settings import INTERNAL_TABLES, alembic_config

OK, IRREVERSIBLE, FAILED = "ok", "irreversible", "failed"


@dataclass(frozen=True)
class RoundtripStep:
    """One revision's upgrade → downgrade → upgrade."""

    revision: str
    message: str
    up_ok: bool
    down_ok: bool | None  # None: the downgrade is irreversible (raises NotImplementedError)
    schema_restored: bool | None
    rows_kept: bool | None
    seconds: float
    detail: str = ""

    @property
    def status(self) -> str:
        if self.down_ok is None and self.up_ok:
            return IRREVERSIBLE
        ok = self.up_ok and self.down_ok and self.schema_restored is not False and self.rows_kept is not False
        return OK if ok else FAILED


@dataclass(frozen=True)
class RoundtripReport:
    """The stairway over the whole history, on a scratch copy of the backend."""

    backend: str
    steps: tuple[RoundtripStep, ...]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.status == OK for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def _rows(self, timings: bool) -> list[tuple[Any, ...]]:
        def mark(value: bool | None) -> str:
            return "n/a" if value is None else ("yes" if value else "NO")

        rows = []
        for s in self.steps:
            down = mark(s.down_ok) if s.down_ok is not None else "irreversible"
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
        failed = sum(s.status == FAILED for s in self.steps)
        irreversible = sum(s.status == IRREVERSIBLE for s in self.steps)
        verdict = "all revisions round-trip" if self.ok else f"{failed} failed, {irreversible} irreversible"
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


# -- snapshots --------------------------------------------------------------------------------------------


def _default(text: Any) -> str | None:
    if text is None:
        return None
    value = str(text).strip()
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    return value.lower()


def schema_snapshot(connection: sa.Connection) -> dict[str, Any]:
    """Tables, columns (type, nullability, default), keys and indexes, order-insensitive."""
    inspector = sa.inspect(connection)
    snapshot: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - INTERNAL_TABLES):
        columns = {
            c["name"]: (str(c["type"]), bool(c["nullable"]), _default(c.get("default")))
            for c in inspector.get_columns(table)
        }
        snapshot[table] = {
            "columns": columns,
            "pk": tuple(inspector.get_pk_constraint(table).get("constrained_columns") or ()),
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in inspector.get_indexes(table)
            ),
            "uniques": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
        }
    return snapshot


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def data_snapshot(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, with JSON text parsed so formatting differences do not count."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection, only=lambda name, _: name not in INTERNAL_TABLES)
    data = {}
    for name, table in sorted(metadata.tables.items()):
        rows = [tuple(_plain(v) for v in row) for row in connection.execute(sa.select(table))]
        data[name] = sorted(rows, key=repr)
    return data


# -- seeding ------------------------------------------------------------------------------------------------


def _value(column: sa.Column[Any], table: str, n: int) -> Any:
    type_ = column.type
    if isinstance(type_, satypes.Boolean):
        return True
    if isinstance(type_, satypes.Integer):
        return 10 + n
    if isinstance(type_, satypes.Float | satypes.Numeric):
        return 1.5 + n
    if isinstance(type_, satypes.DateTime):
        return dt.datetime(2024, 1, 2, 3, 4, 5)
    if isinstance(type_, satypes.Date):
        return dt.date(2024, 1, 2)
    if isinstance(type_, satypes.JSON):
        return {"seed": n, "name": f"{table}"}
    if isinstance(type_, satypes._Binary):
        return bytes([0, 1, 2, n % 256])
    if isinstance(type_, satypes.String):
        text = f"s{n}-{table[:6]}-{column.name[:6]}-ü"
        length = getattr(type_, "length", None)
        # Unbounded text may be MariaDB's JSON (LONGTEXT with a json_valid check): a JSON string fits both.
        return text[:length] if length else json.dumps(text)
    return None


def seed(connection: sa.Connection) -> int:
    """One row in every empty table, parents first, with a value in every column (NULLs tested elsewhere)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection, only=lambda name, _: name not in INTERNAL_TABLES)
    inserted = 0
    for n, table in enumerate(metadata.sorted_tables):
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
            continue
        row: dict[str, Any] = {}
        for column in table.columns:
            if column.primary_key and isinstance(column.type, satypes.Integer) and len(table.primary_key.columns) == 1:
                continue
            if column.foreign_keys:
                target = next(iter(column.foreign_keys)).column
                parent = connection.execute(sa.select(target).limit(1)).scalar()
                if parent is not None or column.nullable:
                    row[column.name] = parent
                    continue
            value = _value(column, table.name, n)
            if value is not None:
                row[column.name] = value
        connection.execute(table.insert().values(**row))
        inserted += 1
    return inserted


# -- the lab --------------------------------------------------------------------------------------------------


@contextmanager
def scratch_database(source: Any = None) -> Iterator[sa.URL]:
    """An empty database of the same backend as `source` (a temp SQLite file, or a new server database)."""
    url = sync_url(parse_url(source)) if source is not None else sa.make_url("sqlite://")
    backend = url.get_backend_name()
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="schema_tools_roundtrip_") as directory:
            yield sa.make_url(f"sqlite:///{Path(directory) / 'roundtrip.db'}")
        return
    name = f"st_roundtrip_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
    try:
        yield url.set(database=name)
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}{force}")
        admin.dispose()


def roundtrip(source: Any = None, *, config: Any = None, seed_rows: bool = True) -> RoundtripReport:
    """Stairway every revision base → head on a scratch database of `source`'s backend (never `source` itself).

    After each downgrade the schema must equal the one before the upgrade (a downgrade leaves no trace)
    and, with seeded rows, every row and value must be back.
    """
    cfg = config if config is not None else alembic_config()
    script = load_scripts(cfg)
    revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
    steps: list[RoundtripStep] = []
    with scratch_database(source) as url:
        engine = sa.create_engine(url, poolclass=NullPool)
        cfg.attributes["connection"] = engine
        try:
            for revision in revisions:
                steps.append(_stairway(engine, cfg, revision, seed_rows))
                if not steps[-1].up_ok:
                    break
        finally:
            cfg.attributes.pop("connection", None)
            engine.dispose()
    return RoundtripReport(url.get_backend_name() if source is not None else "sqlite", tuple(steps))


def _stairway(engine: sa.Engine, cfg: Any, revision: Any, seed_rows: bool) -> RoundtripStep:
    message = (revision.doc or "").strip().splitlines()[0] if revision.doc else ""
    down = revision.down_revision
    previous = "base" if down is None else (down if isinstance(down, str) else down[0])
    start = time.perf_counter()
    if seed_rows:
        try:
            with engine.begin() as connection:
                seed(connection)
        except Exception as error:
            return RoundtripStep(
                revision.revision, message, False, None, None, None, 0.0, f"seeding failed: {_line(error)}"
            )
    with engine.connect() as connection:
        schema_before, data_before = schema_snapshot(connection), data_snapshot(connection)

    def result(up: bool, down_ok: bool | None, schema: bool | None, rows: bool | None, detail: str) -> RoundtripStep:
        return RoundtripStep(revision.revision, message, up, down_ok, schema, rows, time.perf_counter() - start, detail)

    try:
        command.upgrade(cfg, revision.revision)
    except Exception as error:
        return result(False, False, None, None, f"upgrade failed: {_line(error)}")
    try:
        command.downgrade(cfg, previous)
    except NotImplementedError as error:
        return result(True, None, None, None, f"irreversible: {_line(error) or 'NotImplementedError'}")
    except Exception as error:
        if isinstance(error.__cause__ or error.__context__, NotImplementedError):
            return result(True, None, None, None, "irreversible")
        return result(True, False, None, None, f"downgrade failed: {_line(error)}")
    with engine.connect() as connection:
        schema_after, data_after = schema_snapshot(connection), data_snapshot(connection)
    schema_ok = schema_after == schema_before
    rows_ok = data_after == data_before
    detail = "" if schema_ok else _schema_difference(schema_before, schema_after)
    if schema_ok and not rows_ok:
        detail = "rows differ after the downgrade: " + ", ".join(
            t for t in data_before if data_before.get(t) != data_after.get(t)
        )
    try:
        command.upgrade(cfg, revision.revision)
    except Exception as error:
        again = f"upgrade after downgrade failed: {_line(error)}"
        return result(False, True, schema_ok, rows_ok, f"{detail}; {again}" if detail else again)
    return result(True, True, schema_ok, rows_ok, detail)


def _line(error: BaseException) -> str:
    text = str(getattr(error, "orig", error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _schema_difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    for table in sorted(set(before) | set(after)):
        if table not in before:
            parts.append(f"table {table} left behind")
        elif table not in after:
            parts.append(f"table {table} missing")
        else:
            extra = sorted(set(after[table]["columns"]) - set(before[table]["columns"]))
            missing = sorted(set(before[table]["columns"]) - set(after[table]["columns"]))
            parts += [f"{table}.{c} left behind" for c in extra] + [f"{table}.{c} missing" for c in missing]
            for key in ("fks", "indexes", "uniques", "pk"):
                if before[table][key] != after[table][key]:
                    parts.append(f"{table} {key} differ")
            if not extra and not missing and before[table]["columns"] != after[table]["columns"]:
                parts.append(f"{table} column definitions differ")
    return "schema not restored: " + "; ".join(parts)
