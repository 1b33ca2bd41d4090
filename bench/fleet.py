"""`python -m bench.fleet`: databases per second of the fleet check in one process, a local pool and on Celery."""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.fleet_table import CELERY_1, CELERY_2, ONE, POOL, on_paper, rows_of, summarise
from bench.fleet_workers import broker_answers, celery_queues
from management_server.fleet_examples import MODELS, Drift, copy_of_schema, random_drift
from schema_tools.connect import mask_url
from schema_tools.display import text_table

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {"postgresql": "SCHEMA_TOOLS_TEST_POSTGRES_URL", "mysql": "SCHEMA_TOOLS_TEST_MYSQL_URL"}


# --- the fleets: copies of the management schema, some drifted (seeded) ----------------------------------------


def sqlite_fleet(folder: Path, size: int, rng: random.Random) -> list[str]:
    """`size` SQLite files: one template per drift (built once), copied file by file."""
    templates: dict[tuple[Drift, ...], Path] = {}
    urls = []
    (folder / str(size)).mkdir()
    for number in range(size):
        drifts = random_drift(rng)
        if drifts not in templates:
            templates[drifts] = folder / str(size) / f"template_{len(templates)}.db"
            copy_of_schema(f"sqlite:///{templates[drifts]}", drifts)
        target = folder / str(size) / f"db_{number:04}.db"
        shutil.copyfile(templates[drifts], target)
        urls.append(f"sqlite:///{target}")
    return urls


@contextmanager
def server_fleet(backend: str, size: int, rng: random.Random) -> Iterator[list[str]]:
    """`size` new databases on the test server of `backend` (CREATE DATABASE each), dropped at the end."""
    server = sa.make_url(os.environ[SERVERS[backend]])
    admin = sa.create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    names = [f"st_fleet_{uuid.uuid4().hex[:8]}_{number:02}" for number in range(size)]
    try:
        urls = []
        for name in names:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
            url = server.set(database=name).render_as_string(hide_password=False)
            copy_of_schema(url, random_drift(rng))
            urls.append(url)
        yield urls
    finally:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)}{force}")
        admin.dispose()


# --- one measurement: a fresh caller process, so its peak RSS is the fleet's alone -------------------------------


def _measure_here(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in the caller process: models imported first, then one timed fleet() call."""
    from schema_tools.config import find_project
    from schema_tools.fleet import fleet
    from schema_tools.fleet_types import load_models

    load_models(find_project(), MODELS)
    executor = None
    if spec["broker"]:
        from schema_tools.fleet_celery import celery_executor

        executor = celery_executor(spec["broker"], queue=spec["queue"])
    started = time.perf_counter()
    report = fleet(spec["urls"], MODELS, with_changes=True, workers=spec["workers"], executor=executor)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    entries = [entry.to_dict() | {"seconds": None} for entry in report.entries]  # timing is the one field that varies
    return {"seconds": seconds, "rss_mb": rss_mb, "entries": entries}


def measure(urls: list[str], workers: int, broker: str | None = None, queue: str | None = None) -> dict[str, Any]:
    spec = {"urls": urls, "workers": workers, "broker": broker, "queue": queue}
    done = subprocess.run(
        [sys.executable, "-m", "bench.fleet", "--measure"], input=json.dumps(spec), capture_output=True, text=True,
        cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the fleet measurement failed: {done.stderr.strip()[-600:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- what this machine gives two processes: the same pure-Python work in one process and in a forked pair --------

CEILING_WORK = 10_000_000  # additions per unit: about a third of a second per unit here


def _spin(units: int) -> int:
    total = 0
    for _ in range(units):
        for number in range(CEILING_WORK):
            total += number
    return total


def _ceiling_here() -> float:
    """Two units of CPU-bound work: one process's seconds over a forked pair's (one unit each), fork included."""
    started = time.perf_counter()
    _spin(2)
    one = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [1, 1])
    return one / (time.perf_counter() - started)


def ceiling_once() -> float:
    """_ceiling_here in a new process, as every fleet measurement is made."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.fleet", "--ceiling"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def run_fleets(
    fleets: list[tuple[str, list[str]]], broker: str | None, log: Path, repeat: int
) -> tuple[list[tuple[str, dict[str, list[dict[str, Any]]]]], list[float]]:
    """Every approach over every fleet, `repeat` times, interleaved (one round of everything, then the next), so a
    slow spell of the machine falls on every approach alike; with a machine ceiling measured in each round."""
    results: list[tuple[str, dict[str, list[dict[str, Any]]]]] = [(name, {}) for name, _ in fleets]
    ceilings = []
    warm = functools.partial(measure, fleets[0][1][:8], 1, broker)
    with celery_queues(broker, log, (CELERY_1, CELERY_2), lambda queue: warm(queue=queue)) as queues:
        approaches: list[tuple[str, Callable[[list[str]], dict[str, Any]]]] = [
            (ONE, lambda urls: measure(urls, 1)),
            (POOL, lambda urls: measure(urls, 2)),
        ]
        approaches += [
            (name, functools.partial(measure, workers=1, broker=broker, queue=q)) for name, q in queues.items()
        ]
        for _ in range(repeat):
            ceilings.append(ceiling_once())
            for (_, urls), (_, by_approach) in zip(fleets, results, strict=True):
                for approach, run in approaches:
                    by_approach.setdefault(approach, []).append(run(urls))
    return results, ceilings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet")
    parser.add_argument("--sqlite", default="10,100", help="SQLite fleet sizes (the issue's: 10,100,500)")
    parser.add_argument("--servers", type=int, default=5, help="PostgreSQL and MariaDB databases each (issue: 20)")
    parser.add_argument("--broker", default=os.environ.get("SCHEMA_TOOLS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-celery", action="store_true", help="only one process and the local pool")
    parser.add_argument("--seed", type=int, default=17, help="the drift's random seed")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each approach (the median is shown)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ceiling:
        print(_ceiling_here())
        return 0
    if args.measure:
        print(json.dumps(_measure_here(json.loads(sys.stdin.read()))))
        return 0
    rng, notes = random.Random(args.seed), []
    broker = None if args.no_celery else args.broker
    if broker and not broker_answers(broker):
        notes.append(f"Celery rows skipped: no broker answers at {mask_url(broker)}")
        broker = None
    with tempfile.TemporaryDirectory(prefix="schema_tools_bench_fleet_") as directory, ExitStack() as servers:
        folder = Path(directory)
        fleets = [(f"sqlite x{n}", sqlite_fleet(folder, int(n), rng)) for n in args.sqlite.split(",")]
        for backend, variable in SERVERS.items():
            if os.environ.get(variable) and args.servers > 0:
                fleets.append(
                    (f"{backend} x{args.servers}", servers.enter_context(server_fleet(backend, args.servers, rng)))
                )
            elif args.servers > 0:
                notes.append(f"{backend} skipped: set {variable}")
        runs, ceilings = run_fleets(fleets, broker, folder / "workers.log", max(1, args.repeat))
    results = [(name, summarise(name, by_approach)) for name, by_approach in runs]
    header = (
        "fleet",
        "databases",
        "approach",
        "seconds",
        "range",
        "db/s",
        "ms/db",
        "ratio",
        "caller peak RSS MB",
        "goal",
    )
    print(text_table(header, [row for name, by_approach in results for row in rows_of(name, by_approach)]))
    print(
        f"\nseconds: the median of {max(1, args.repeat)} runs, interleaved (a round of every fleet and approach, then"
    )
    print("the next); range: the fastest and slowest. Every run of every approach returned the same entries as one")
    print("process (timing aside). Each run is one fleet() call in a new caller process, with the models imported")
    print("first; Celery workers run with --concurrency 1 on queues of their own (one worker on one, two on the")
    print("other), warmed by an 8-database run; the local pool's start-up is included.")
    low, high = min(ceilings), max(ceilings)
    print(
        f"\nThis machine's ceiling for two processes: {statistics.median(ceilings):.2f}x ({low:.2f}-{high:.2f}x), the"
    )
    print("same pure-Python work in one process and in a forked pair, in a new process at the start of each round.")
    print("It shows what the machine gave two processes during this run; it is no bound on the fleet's ratios,")
    print("which were measured at other moments (this machine's speed moves by up to 2x within a minute).")
    print("\nOn paper: 10,000 databases on N workers, from each worker's measured seconds per database")
    print("(2 x the 2-worker wall time / databases), assuming a core per worker and a broker and servers that keep up:")
    for name, by_approach in results:
        print(f"  {on_paper(name, by_approach)}")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
