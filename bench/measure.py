"""One measurement in a fresh process, so its peak RSS is its own: `python -m bench.measure BACKEND URL N APPROACH`."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from bench.schema import table_name, with_changes


def main(argv: list[str]) -> int:
    url, n, approach, runs = argv[0], int(argv[1]), argv[2], int(argv[3])
    # Imported before the clock starts: with --runs 1 a first call would otherwise time the imports (~1 s).
    import schema_tools.diff
    import schema_tools.erd
    import schema_tools.session  # noqa: F401

    desired = with_changes(n)
    session_like = approach.startswith("schema_tools DiffSession warm")
    # A DiffSession keeps its connection, as DiffSession(url) does; everything else connects per run.
    pool: dict[str, object] = {"pool_size": 1, "max_overflow": 0} if session_like else {"poolclass": NullPool}
    engine = sa.create_engine(url, **pool)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args: object) -> None:
        statements[0] += 1

    if session_like:
        return warm(engine, desired, n, int(approach.rsplit("=", 1)[1]), runs, statements)

    def alembic_compare() -> object:
        from schema_tools.diff import compare

        with engine.connect() as connection:
            return compare(connection, desired, fast=False)  # Alembic's own path: every table reflected

    def cold_diff() -> object:
        from schema_tools.diff import diff

        return diff(desired, engine)

    def erd_focus() -> object:
        from schema_tools.erd import erd

        return erd(desired, focus=table_name(n // 2), depth=1).svg()

    def erd_full() -> object:
        from schema_tools.erd import erd

        return erd(desired).svg()

    def schemadisplay_full() -> object:
        from sqlalchemy_schemadisplay import create_schema_graph

        graph = create_schema_graph(None, tables=list(desired.tables.values()), metadata=desired)
        return graph.create_svg()

    functions = {
        "alembic compare_metadata": alembic_compare,
        "schema_tools diff (cold)": cold_diff,
        "erd focus (depth 1)": erd_focus,
        "erd full": erd_full,
        "sqlalchemy-schemadisplay full": schemadisplay_full,
    }
    function = functions[approach]
    times, counts = [], []
    for _ in range(runs):
        statements[0] = 0
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        counts.append(statements[0])
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": statistics.median(times), "statements": statistics.median(counts), "rss_mb": peak_mb}))
    return 0


def edit_models(desired: sa.MetaData, n: int, k: int, run: int) -> None:
    """Edit k models spread over the schema, as a person does between two diffs: a new column each."""
    for i in range(k):
        table = desired.tables[table_name((i * n // k + run) % n)]
        table.append_column(sa.Column(f"edited_{run}_{i}", sa.String(20), nullable=True))


def warm(engine: sa.Engine, desired: sa.MetaData, n: int, k: int, runs: int, statements: list[int]) -> int:
    """Re-diff after editing k models; every run's result is checked against a full diff, untimed."""
    from schema_tools.diff import diff
    from schema_tools.session import DiffSession

    session = DiffSession(engine)
    session.diff(desired)  # the cold diff that fills the cache (measured by its own row)
    times, counts, peak_mb = [], [], 0.0
    for run in range(runs):
        edit_models(desired, n, k, run)
        statements[0] = 0
        start = time.perf_counter()
        result = session.diff(desired)
        times.append(time.perf_counter() - start)
        counts.append(statements[0])
        peak_mb = peak_mb or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before any check
        full = diff(desired, engine)
        if list(result) != list(full):
            raise SystemExit(f"warm diff differs from a full diff at N={n}, k={k}, run {run}")
    session.close()
    engine.dispose()
    print(json.dumps({"seconds": statistics.median(times), "statements": statistics.median(counts), "rss_mb": peak_mb}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
