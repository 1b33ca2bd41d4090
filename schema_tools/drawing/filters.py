"""Narrow a Diagram: a focus and its neighbours, a table subset, or a large diff's changed tables."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import replace

from ..errors import ConfigurationError
from .model import Diagram, Edge

LARGE_SCHEMA = 25  # above this many tables, a diff diagram shows only changed tables and their neighbours


def neighbourhood(edges: Iterable[Edge], start: Iterable[str], depth: int) -> set[str]:
    """The start tables and every table at most `depth` foreign keys away, either direction."""
    return neighbours(((edge.table, edge.referred_table) for edge in edges), start, depth)


def neighbours(pairs: Iterable[tuple[str, str]], start: Iterable[str], depth: int) -> set[str]:
    """The start tables and every table at most `depth` (child, parent) pairs away, either direction."""
    graph: dict[str, set[str]] = {}
    for child, parent in pairs:
        graph.setdefault(child, set()).add(parent)
        graph.setdefault(parent, set()).add(child)
    seen = set(start)
    frontier = deque((name, 0) for name in seen)
    while frontier:
        name, distance = frontier.popleft()
        if distance >= depth:
            continue
        for neighbour in sorted(graph.get(name, ())):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append((neighbour, distance + 1))
    return seen


def keep(diagram: Diagram, names: Collection[str]) -> Diagram:
    """Only the tables named; edges stay until `prune_edges`, so later neighbourhoods still see them."""
    return replace(diagram, tables=tuple(t for t in diagram.tables if t.name in names))


def changed_only(diagram: Diagram, wanted: bool | None) -> Diagram:
    """A diff's changed tables and their direct neighbours; by default only above LARGE_SCHEMA tables."""
    if not diagram.diff_mode:
        return diagram
    if wanted is None:
        wanted = len(diagram.tables) > LARGE_SCHEMA
    return keep(diagram, neighbourhood(diagram.edges, diagram.changed, 1)) if wanted else diagram


def focus_on(diagram: Diagram, focus: str | Iterable[str], depth: int) -> Diagram:
    """The focus table(s) and their neighbours `depth` foreign keys away; an unknown name is an error."""
    start = {focus} if isinstance(focus, str) else set(focus)
    known = set(diagram.table_names)
    unknown = sorted(start - known)
    if unknown:
        raise ConfigurationError(
            f"no table named {', '.join(unknown)} to focus on: pick one of {', '.join(sorted(known)[:12])}"
        )
    return keep(diagram, neighbourhood(diagram.edges, start, max(depth, 0)))


def only(diagram: Diagram, tables: Iterable[str], known: Collection[str]) -> Diagram:
    """The tables listed, each of which must be `known` (a table of the diagram before focusing)."""
    wanted = set(tables)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ConfigurationError(f"unknown table(s) {', '.join(unknown)}: check tables=")
    return keep(diagram, wanted)


def without(diagram: Diagram, exclude: Iterable[str]) -> Diagram:
    dropped = set(exclude)
    return replace(diagram, tables=tuple(t for t in diagram.tables if t.name not in dropped))


def prune_edges(diagram: Diagram) -> Diagram:
    """Only edges between drawn tables, in a stable order so that output never churns."""
    drawn = set(diagram.table_names)
    edges = sorted(
        (e for e in diagram.edges if e.table in drawn and e.referred_table in drawn),
        key=lambda e: (e.table, e.columns, e.referred_table, e.status),
    )
    return replace(diagram, edges=tuple(edges))


def select(
    diagram: Diagram,
    *,
    tables: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    focus: str | Iterable[str] | None = None,
    depth: int = 1,
    changed: bool | None = None,
) -> Diagram:
    """All of erd()'s narrowing, in its order: changed-only (without a focus), focus, tables, exclude."""
    if focus is None:
        diagram = changed_only(diagram, changed)
    known = diagram.table_names
    if focus is not None:
        diagram = focus_on(diagram, focus, depth)
    if tables is not None:
        diagram = only(diagram, tables, known)
    if exclude is not None:
        diagram = without(diagram, exclude)
    return prune_edges(diagram)
