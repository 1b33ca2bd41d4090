"""`make bench`: one table of backend x N x approach, with ratios to Alembic measured in the same run."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.schema import create, table_name
from schema_tools.display import text_table

SERVERS = {"postgresql": "SCHEMA_TOOLS_TEST_POSTGRES_URL", "mysql": "SCHEMA_TOOLS_TEST_MYSQL_URL"}
DIFF_APPROACHES = (
    "alembic compare_metadata",
    "schema_tools diff (cold)",
    "schema_tools DiffSession warm, k=1",
    "schema_tools DiffSession warm, k=10",
)
ERD_APPROACHES = ("sqlalchemy-schemadisplay full", "erd full", "erd focus (depth 1)")


def scratch(backend: str, tmp: Path, n: int, keep: Path | None = None) -> tuple[str, object, bool]:
    """A database for the synthetic schema of N tables: its URL, a cleanup, and whether it must be filled.

    With `keep`, the database outlives the run (a fixed name; SQLite files under `keep`), so building 10,000 tables,
    which takes many minutes on MariaDB, is paid once across runs.
    """
    if backend == "sqlite":
        url = f"sqlite:///{(keep or tmp) / f'bench_{n}.db'}"
        return url, lambda: None, not (keep and complete(url, n))
    server = sa.make_url(os.environ[SERVERS[backend]])
    name = f"st_bench_{n}_kept" if keep else f"st_bench_{n}_{uuid.uuid4().hex[:6]}"
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as connection:
        exists = name in sa.inspect(connection).get_schema_names() if backend == "mysql" else bool(
            connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}).first()
        )  # fmt: skip
        if not exists:
            connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
    if keep:
        admin.dispose()
        return url, lambda: None, not complete(url, n)

    def drop() -> None:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}{force}")
        admin.dispose()

    return url, drop, True


def complete(url: str, n: int) -> bool:
    """Whether a kept database holds exactly the N tables of the synthetic schema (an interrupted build does not)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return names == {table_name(i) for i in range(n)}


def measure(url: str, n: int, approach: str, runs: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.measure", url, str(n), approach, str(runs)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def roundtrip_rows(backend: str, url: str | None) -> list[tuple[str, ...]]:
    """The roundtrip lab over the real history and over longer ones: seconds per revision should hold."""
    from bench.revisions import longer_history
    from schema_tools.roundtrip import roundtrip

    rows = []
    for extra in (0, 10, 20):
        report = roundtrip(url, config=longer_history(extra), progress=False)
        if not report.ok:
            raise SystemExit(f"roundtrip failed on {backend} with {extra} extra revisions")
        per_revision = report.seconds / len(report.steps)
        rows.append((
            backend, f"{len(report.steps)} revisions", "roundtrip lab", f"{report.seconds:.3f}", "", "", "", "",
            f"{per_revision:.3f} s/revision",
        ))  # fmt: skip
    return rows


CHECK = "schema-tools check (new process)"


def check_process(url: str, n: int, tmp: Path) -> dict[str, float]:
    """`schema-tools check` as CI runs it: a new process with an app's alembic.ini and models, start-up included."""
    project = tmp / f"check_{n}"
    if not project.exists():
        project.mkdir()
        (project / "bench_models.py").write_text(f"from bench.schema import build\nmetadata = build({n})\n")
        subprocess.run([sys.executable, "-m", "alembic", "init", str(project / "alembic")], cwd=project,
                       capture_output=True, check=True)  # fmt: skip
    command = [str(Path(sys.executable).with_name("schema-tools")), "check", "--url", url,
               "--metadata", "bench_models:metadata", "--config", str(project / "alembic.ini")]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), str(Path(__file__).parent.parent)])}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"schema-tools check failed at N={n}: {done.stderr.strip()[:300]}")
    return {"seconds": seconds, "statements": float("nan"), "rss_mb": float("nan")}


def goal(n: int, approach: str, result: dict[str, float], ratio: float | None, speedup: float | None) -> str:
    """The goals of the performance issues for this row, and whether this run met them."""
    if approach == "schema_tools diff (cold)":
        wanted = 10 if n >= 10_000 else 5 if n >= 1000 else None
        if wanted is None:
            return "(goal set from N=1000)"
        met = speedup is not None and speedup >= wanted and (n < 10_000 or result["rss_mb"] < 600)
        return f">= {wanted}x{', RSS < 600 MB' if n >= 10_000 else ''}: {'met' if met else 'MISSED'}"
    if approach == CHECK:
        return f"< 10 s: {'met' if result['seconds'] < 10 else 'MISSED'}" if n >= 10_000 else "(goal at N=10000)"
    if approach.startswith("schema_tools DiffSession warm"):
        k = int(approach.rsplit("=", 1)[1])
        wanted = 50 if n >= 10_000 else 20
        met = speedup is not None and speedup >= wanted and result["statements"] <= 10 + 3 * k
        return f">= {wanted}x, <= {10 + 3 * k} statements: {'met' if met else 'MISSED'}"
    if approach == "erd full":
        return f"ratio <= 1.2: {'met' if ratio is not None and ratio <= 1.2 else 'MISSED'}"
    if approach == "erd focus (depth 1)":
        return f"<= 0.5 s: {'met' if result['seconds'] <= 0.5 else 'MISSED'}"
    return "baseline"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown")
    parser.add_argument("--skip-roundtrip", action="store_true", help="only the diff and drawing rows")
    parser.add_argument("--full-erd-max", type=int, default=2000, help="largest N drawn in full (focus: every N)")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the databases (SQLite files in DIR) and reuse them in later runs"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="schema_tools_bench_") as directory:
        tmp = Path(directory)
        for backend in args.backends.split(","):
            if backend != "sqlite" and not os.environ.get(SERVERS[backend]):
                notes.append(f"{backend} skipped: set {SERVERS[backend]}")
                continue
            for n in sizes:
                url, cleanup, fill = scratch(backend, tmp, n, args.keep)
                try:
                    if fill:
                        engine = sa.create_engine(url, poolclass=NullPool)
                        create(engine, n)
                        engine.dispose()
                    results = {a: measure(url, n, a, args.runs) for a in DIFF_APPROACHES}
                    results[CHECK] = check_process(url, n, tmp)
                    if backend == "sqlite":  # drawing does not touch the database: measure it once
                        # A full diagram of thousands of tables is dot's layout time, minutes: focus only there.
                        drawn = ERD_APPROACHES if n <= args.full_erd_max else ERD_APPROACHES[2:]
                        results.update({a: measure(url, n, a, args.runs) for a in drawn})
                finally:
                    cleanup()
                baseline = results["alembic compare_metadata"]["seconds"]
                drawing = results.get("sqlalchemy-schemadisplay full", {}).get("seconds")
                for approach, result in results.items():
                    reference = drawing if approach in ERD_APPROACHES[:2] else baseline
                    ratio = result["seconds"] / reference if reference and approach != "erd focus (depth 1)" else None
                    speedup = baseline / result["seconds"] if approach in (*DIFF_APPROACHES[1:], CHECK) else None
                    statements = "" if result["statements"] != result["statements"] else str(int(result["statements"]))
                    rows.append((
                        backend, str(n), approach, f"{result['seconds']:.3f}", f"{1000 * result['seconds'] / n:.2f}",
                        statements,
                        "" if ratio is None else f"{ratio:.2f}", "" if speedup is None else f"{speedup:.1f}x",
                        "" if result["rss_mb"] != result["rss_mb"] else f"{result['rss_mb']:.0f}",
                        goal(n, approach, result, ratio, speedup),
                    ))  # fmt: skip
            if backend in ("sqlite", "postgresql") and not args.skip_roundtrip:
                rows.extend(roundtrip_rows(backend, None if backend == "sqlite" else os.environ[SERVERS[backend]]))
    header = (
        "backend", "N", "approach", "seconds", "ms/table", "statements", "ratio", "speed-up", "peak RSS MB", "goal",
    )  # fmt: skip
    print(text_table(header, rows))
    print("\nratio: to `alembic compare_metadata` for diffs, to sqlalchemy-schemadisplay for the full diagram")
    print("(medians of", args.runs, "runs, each approach in its own process; statements counted per run;")
    print(" a warm row's RSS is its process after the cold diff and one warm diff; every warm result was")
    print(" checked against a full diff, change for change)")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
