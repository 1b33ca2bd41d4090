"""The fleet bench's table: each approach's median of interleaved runs, the issue's goals, 10,000 databases on paper."""

from __future__ import annotations

import statistics
from typing import Any

ONE, POOL, CELERY_1, CELERY_2 = "one process", "local pool, 2 processes", "celery, 1 worker", "celery, 2 workers"
PAPER_FLEET, PAPER_WORKERS = 10_000, (1, 2, 8, 32)


def summarise(fleet_name: str, runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each approach's median seconds (with the fastest and slowest run) and peak RSS; every run's entries must
    equal one process's first run's, or the bench stops."""
    reference = runs[ONE][0]["entries"]
    summary = {}
    for approach, measured in runs.items():
        if any(run["entries"] != reference for run in measured):
            raise SystemExit(f"{fleet_name}: {approach} returned other entries than one process: stopping")
        seconds = [run["seconds"] for run in measured]
        summary[approach] = {
            "seconds": statistics.median(seconds), "low": min(seconds), "high": max(seconds),
            "rss_mb": max(run["rss_mb"] for run in measured), "entries": reference,
        }  # fmt: skip
    return summary


def _goal(approach: str, results: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The ratio this row is judged by, and the issue's goal for it."""
    rate = {name: len(result["entries"]) / result["seconds"] for name, result in results.items()}
    if approach == POOL:
        ratio = rate[POOL] / rate[ONE]
        return f"{ratio:.2f}x one process", f">= 1.8x: {'met' if ratio >= 1.8 else 'MISSED'}"
    if approach == CELERY_2 and POOL in rate:
        ratio = rate[CELERY_2] / rate[POOL]
        return f"{ratio:.2f}x local pool", f">= 0.8x (within 20%): {'met' if ratio >= 0.8 else 'MISSED'}"
    if approach == CELERY_1:
        return f"{rate[CELERY_1] / rate[ONE]:.2f}x one process", ""
    return "", "baseline" if approach == ONE else ""


def rows_of(fleet_name: str, results: dict[str, dict[str, Any]]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for approach, result in results.items():
        count = len(result["entries"])
        ratio, goal = _goal(approach, results)
        rows.append((
            fleet_name, str(count), approach, f"{result['seconds']:.2f}", f"{result['low']:.2f}-{result['high']:.2f}",
            f"{count / result['seconds']:.1f}", f"{1000 * result['seconds'] / count:.1f}", ratio,
            f"{result['rss_mb']:.0f}", goal,
        ))  # fmt: skip
    return rows


def on_paper(fleet_name: str, results: dict[str, dict[str, Any]]) -> str:
    """10,000 databases on N workers: N x less than one worker's measured time per database (queue included)."""
    count = len(results[ONE]["entries"])
    best, size = (CELERY_2, 2) if CELERY_2 in results else (POOL, 2)
    per_worker = size * results[best]["seconds"] / count  # what one worker spent per database in the 2-worker run
    costs = ", ".join(f"N={n}: {PAPER_FLEET * per_worker / n / 60:.1f} min" for n in PAPER_WORKERS)
    return (
        f"{fleet_name}: {per_worker:.3f} s per database per worker ({best}); 10,000 x {per_worker:.3f} s / N = {costs}"
    )
