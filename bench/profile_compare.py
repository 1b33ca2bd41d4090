"""`python -m bench.profile_compare`: where compare_metadata's time goes as N grows, and what grows faster than N.

Each size runs in its own process under cProfile. A function's cost per table at the largest N, divided by its cost
per table at the smallest, is its growth: 1 is linear; the function with the largest growth (and enough time to
matter) is the superlinear term.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.__main__ import SERVERS, scratch
from bench.schema import create, with_changes
from schema_tools.display import text_table

TOP = 12


def _label(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    parts = Path(filename).parts
    short = "/".join(parts[parts.index("site-packages") + 1 :]) if "site-packages" in parts else filename
    return f"{short}:{line}({function})" if line else function


def profile_once(url: str, n: int) -> dict[str, list[float]]:
    """compare_metadata once under cProfile: {function: [total seconds inside it, seconds with callees, calls]}."""
    from schema_tools.diff import compare

    desired = with_changes(n)
    engine = sa.create_engine(url, poolclass=NullPool)
    profiler = cProfile.Profile()
    with engine.connect() as connection:
        profiler.enable()
        compare(connection, desired, fast=False)
        profiler.disable()
    engine.dispose()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return {_label(key): [value[2], value[3], value[1]] for key, value in stats.items()}


def growth_table(backend: str, by_size: dict[int, dict[str, list[float]]]) -> str:
    small, large = min(by_size), max(by_size)
    total = {n: sum(row[0] for row in rows.values()) for n, rows in by_size.items()}
    rows = []
    for function, (own, cumulative, calls) in sorted(by_size[large].items(), key=lambda item: -item[1][0])[:TOP]:
        before = by_size[small].get(function)
        growth = (own / large) / (before[0] / small) if before and before[0] > 0 else float("nan")
        call_growth = (calls / large) / (before[2] / small) if before and before[2] else float("nan")
        rows.append((
            backend, function[-70:], f"{own:.2f}", f"{100 * own / total[large]:.0f}%", f"{cumulative:.2f}",
            f"{int(calls)}", f"{growth:.2f}", f"{call_growth:.2f}",
        ))  # fmt: skip
    header = ("backend", f"function (N={large})", "own s", "share", "cum s", "calls", "growth/table", "calls/table")
    sizes = ", ".join(f"N={n}: {total[n]:.1f} s ({1000 * total[n] / n:.2f} ms/table)" for n in sorted(total))
    return f"{text_table(header, rows)}\nprofiled totals: {sizes}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_compare")
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--one", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(profile_once(args.one[0], int(args.one[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="schema_tools_profile_") as directory:
        for backend in args.backends.split(","):
            if backend != "sqlite" and not os.environ.get(SERVERS[backend]):
                print(f"{backend} skipped: set {SERVERS[backend]}")
                continue
            by_size = {}
            for n in (int(size) for size in args.sizes.split(",")):
                url, cleanup = scratch(backend, Path(directory), n)
                try:
                    engine = sa.create_engine(url, poolclass=NullPool)
                    create(engine, n)
                    engine.dispose()
                    command = [sys.executable, "-m", "bench.profile_compare", "--one", url, str(n)]
                    done = subprocess.run(command, capture_output=True, text=True, check=True)
                    by_size[n] = json.loads(done.stdout.strip().splitlines()[-1])
                finally:
                    cleanup()  # type: ignore[operator]
            print(growth_table(backend, by_size), flush=True)
    print("growth/table: own time per table at the largest N over the smallest; 1.0 is linear.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
