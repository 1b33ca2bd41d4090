"""`make bench-load`: a migration on a busy table, naive and through make_safe, seen by a concurrent writer."""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.load_ops import OPERATIONS, apply, drafted, fill_sql
from bench.load_writer import write
from schema_tools.dialects import backend_of
from schema_tools.dialects.mysql_lock_limit import MetadataLockLimit, session_id, sub_second
from schema_tools.display import text_table
from schema_tools.scratch import scratch_database

SERVERS = {"postgresql": "SCHEMA_TOOLS_TEST_POSTGRES_URL", "mysql": "SCHEMA_TOOLS_TEST_MYSQL_URL"}
GOALS_MS = {"postgresql": 100.0, "mysql": 250.0}
# make_safe's lock timeout per backend. MariaDB counts lock waits in whole seconds (WAIT 0.2 is WAIT 0), so its
# steps wait 1 s on the server and MetadataLockLimit cancels a wait at 0.1 s, as a guarded upgrade does.
LOCK_TIMEOUT = {"postgresql": 0.05, "mysql": 0.1}
# The writer switches to inserts that fill the new column within this (it says so once it did).
SWITCH_TIMEOUT = 10.0
READER_HOLD = 3.0
SETTLE = 0.5


@dataclass(frozen=True)
class Run:
    """What the writer saw while one migration ran, and whether every row it inserted is there."""

    backend: str
    operation: str
    mode: str
    long_transaction: bool
    seconds: float
    retries: int
    failure: str
    max_stall_ms: float
    p99_ms: float
    errors: int
    rows_expected: int
    rows_counted: int


def hold_reader(url: str, started: threading.Event) -> None:
    """A reporting query left open: BEGIN; SELECT over the table; hold READER_HOLD seconds; COMMIT."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT COUNT(*) FROM items")).scalar_one()
        started.set()
        time.sleep(READER_HOLD)
        connection.rollback()
    engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def one_run(url: str, backend: str, rows: int, operation: str, safe: bool, long_transaction: bool) -> Run:
    """Rebuild the table, start the writer, migrate (with a reader holding the table open), count the rows."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        for statement in fill_sql(backend, rows):
            connection.exec_driver_sql(statement)
    plan = drafted(url, operation, safe, LOCK_TIMEOUT[backend])
    stop, tier_added, tier_written = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Event()
    results: multiprocessing.Queue[dict[str, object]] = multiprocessing.Queue()
    writer = multiprocessing.Process(target=write, args=(url, rows, stop, tier_added, tier_written, results))
    writer.start()
    time.sleep(SETTLE)
    reader = None
    if long_transaction:
        reader_started = threading.Event()
        reader = threading.Thread(target=hold_reader, args=(url, reader_started))
        reader.start()
        reader_started.wait()
    started = time.perf_counter()
    retries, failure = 0, ""

    def column_added(column: str) -> None:
        """The new code ships: the writer fills tier from its next insert on, before any backfill starts."""
        if column == "tier":
            tier_added.set()
            tier_written.wait(SWITCH_TIMEOUT)

    limit = MetadataLockLimit(engine.url, LOCK_TIMEOUT[backend])
    limited = safe and sub_second(LOCK_TIMEOUT[backend], bool(getattr(engine.dialect, "is_mariadb", False)))

    def connected(connection: sa.Connection) -> None:
        if limited:
            limit.watch(session_id(connection.connection.dbapi_connection) or 0)

    try:
        with limit if limited else contextlib.nullcontext():
            retries = apply(engine, plan, safe, backend_of(engine.url).lock_timed_out, column_added, connected)
    except Exception as error:  # noqa: BLE001 - a failed migration is a result of the bench
        failure = str(getattr(error, "orig", error)).splitlines()[0][:60]
    seconds = time.perf_counter() - started
    time.sleep(SETTLE)
    stop.set()
    seen = results.get()
    writer.join()
    if reader is not None:
        reader.join()
    with engine.connect() as connection:
        counted = connection.execute(sa.text("SELECT COUNT(*) FROM items")).scalar_one()
    engine.dispose()
    latencies = [value * 1000 for value in seen["latencies"]]  # type: ignore[attr-defined]
    return Run(
        backend, operation, "safe" if safe else "naive", long_transaction, seconds, retries, failure,
        max(latencies, default=0.0), percentile(latencies, 0.99), len(seen["errors"]),  # type: ignore[arg-type]
        rows + int(seen["inserted"]), counted,  # type: ignore[call-overload]
    )  # fmt: skip


def table(runs: list[Run]) -> str:
    header = (
        "backend", "operation", "draft", "long txn", "migration s", "retries", "max stall ms", "p99 ms",
        "errors", "rows ok", "goal",
    )  # fmt: skip
    lines = []
    for run in runs:
        goal = ""
        if run.mode == "safe":
            met = run.max_stall_ms <= GOALS_MS[run.backend]
            goal = f"<= {GOALS_MS[run.backend]:g} ms: {'met' if met else 'MISSED'}"
        lines.append((
            run.backend, run.operation, run.mode, "3 s" if run.long_transaction else "",
            f"{run.seconds:.2f}" + (f" FAILED: {run.failure}" if run.failure else ""), str(run.retries),
            f"{run.max_stall_ms:.0f}", f"{run.p99_ms:.1f}", str(run.errors),
            "yes" if run.rows_counted == run.rows_expected else f"NO {run.rows_counted}/{run.rows_expected}", goal,
        ))  # fmt: skip
    return text_table(header, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgresql,mysql")
    parser.add_argument("--operations", default=",".join(OPERATIONS), help=f"comma-separated: {', '.join(OPERATIONS)}")
    args = parser.parse_args()
    runs: list[Run] = []
    for backend in args.backends.split(","):
        server = os.environ.get(SERVERS[backend])
        if not server:
            print(f"{backend}: {SERVERS[backend]} is not set, skipped")
            continue
        with scratch_database(server) as scratch:
            url = scratch.render_as_string(hide_password=False)
            for operation in args.operations.split(","):
                for safe, long_transaction in ((False, False), (True, False), (False, True), (True, True)):
                    runs.append(one_run(url, backend, args.rows, operation, safe, long_transaction))
                    print(
                        f"  {backend} {operation} {runs[-1].mode}{' +long txn' if long_transaction else ''}", flush=True
                    )
    print(f"\nbench-load, --rows {args.rows}: the writer's view of each migration")
    print(table(runs))
    print("Goals: safe max stall <= 100 ms on PostgreSQL, <= 250 ms on MariaDB.")
    print("rows ok: the table holds every row the writer inserted (nothing lost).")


if __name__ == "__main__":
    main()
