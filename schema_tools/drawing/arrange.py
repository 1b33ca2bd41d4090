"""Arrange a large diagram: given groups as clusters, tables without foreign keys packed in a grid to one side."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pydot

from ..errors import ConfigurationError
from .dot_edges import node_id
from .model import Diagram

Groups = tuple[tuple[str, tuple[str, ...]], ...]
ISOLATED_CLUSTER = "cluster_isolated"


def groups_of(groups: Mapping[str, Iterable[str]] | None) -> Groups:
    """Groups as a sorted, hashable tuple; a table in two groups is an error (a cluster holds a node once)."""
    if not groups:
        return ()
    seen: dict[str, str] = {}
    result = []
    for name in sorted(groups):
        tables = tuple(sorted(set(groups[name])))
        for table in tables:
            if table in seen:
                raise ConfigurationError(f"table {table} is in two groups ({seen[table]}, {name}): pick one")
            seen[table] = name
        result.append((name, tables))
    return tuple(result)


def isolated(diagram: Diagram, grouped: Iterable[str] = ()) -> tuple[str, ...]:
    """The drawn tables no drawn foreign key touches, outside any group, in the diagram's order."""
    linked = {e.table for e in diagram.edges} | {e.referred_table for e in diagram.edges} | set(grouped)
    return tuple(name for name in diagram.table_names if name not in linked)


def group_clusters(diagram: Diagram, groups: Groups) -> list[pydot.Subgraph]:
    """One labelled cluster per group (dbdiagram.io's TableGroup), with the group's drawn tables."""
    drawn = set(diagram.table_names)
    clusters = []
    for index, (name, tables) in enumerate(groups):
        cluster = pydot.Subgraph(
            f"cluster_group{index}",
            label=name,
            fontsize="12",
            style="rounded,filled",
            color="#d0d7de",
            fillcolor="#f6f8fa",
        )
        for table in tables:
            if table in drawn:
                cluster.add_node(pydot.Node(node_id(table)))
        clusters.append(cluster)
    return clusters


def isolated_cluster(names: tuple[str, ...]) -> pydot.Subgraph:
    """The tables without foreign keys in a near-square grid (rows chained by invisible edges), in one cluster.

    Left alone, dot puts every unconnected table in the first rank: one tall column beside or above the main
    group. A grid keeps them together, out of the way, and near square.
    """
    cluster = pydot.Subgraph(ISOLATED_CLUSTER, label="no foreign keys", fontsize="11", style="dashed", color="#8c959f")
    columns = max(1, math.ceil(math.sqrt(len(names))))
    for name in names:
        cluster.add_node(pydot.Node(node_id(name)))
    for start in range(0, len(names), columns):
        row = names[start : start + columns]
        for left, right in zip(row, row[1:], strict=False):
            cluster.add_edge(pydot.Edge(node_id(left), node_id(right), style="invis"))
    return cluster
