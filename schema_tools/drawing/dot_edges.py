"""Foreign keys as dot edges: crow's-foot ends by nullability and uniqueness, ports on the FK and PK rows."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pydot

from .model import REMOVED, Diagram, Edge
from .palette import colours

# Per rankdir: (tail port side, tail compass, head port side, head compass). Edges leave the child's row on
# the side the layout flows to and enter the parent's row from the other.
PORTS = {
    "LR": ("r", "e", "l", "w"),
    "RL": ("l", "w", "r", "e"),
    "TB": ("r", "s", "l", "n"),
    "BT": ("r", "n", "l", "s"),
}
# A parent with more incoming edges than this is a hub: its edges end on the table's side, each where dot aims
# it, so they fan out. Ending them all on the PK row's one port made them converge and cross (bench: erd layout).
HUB = 2
# Crow's foot, the shape nearest the table first (Graphviz draws the first arrow shape closest to the node):
# the parent end says how many parents a child row has, the child end how many children a parent row has.
EXACTLY_ONE, ZERO_OR_ONE, ZERO_OR_MANY = "teetee", "teeodot", "crowodot"


def parent_end(edge: Edge) -> str:
    """Zero or one parent when any FK column is nullable, else exactly one."""
    return ZERO_OR_ONE if edge.nullable else EXACTLY_ONE


def child_end(edge: Edge) -> str:
    """Zero or one child when the FK columns are unique on their own (one-to-one), else zero or many."""
    return ZERO_OR_ONE if edge.unique else ZERO_OR_MANY


def node_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hubs(edges: Sequence[Edge]) -> frozenset[str]:
    """The parents with more than HUB incoming edges."""
    return frozenset(name for name, count in Counter(e.referred_table for e in edges).items() if count > HUB)


def leaf_lengths(diagram: Diagram, stagger: int) -> dict[int, int]:
    """Per edge index, a minimum length that staggers a parent's leaf children over `stagger` ranks.

    Leaves (tables nothing refers to) all sit in one rank and stack into a tall column; spreading them over a
    few ranks, as Graphviz's `unflatten -l` does, keeps a large overview nearer a readable aspect ratio.
    """
    if stagger < 2:
        return {}
    referred = {edge.referred_table for edge in diagram.edges}
    seen: Counter[str] = Counter()
    lengths = {}
    for index, edge in enumerate(diagram.edges):
        if edge.table not in referred and edge.table != edge.referred_table:
            lengths[index] = 1 + seen[edge.referred_table] % stagger
            seen[edge.referred_table] += 1
    return lengths


def _tooltip(edge: Edge) -> str:
    name = f"{edge.name}: " if edge.name else ""
    return f"{name}{edge.table}({', '.join(edge.columns)}) → {edge.referred_table}({', '.join(edge.referred_columns)})"


def dot_edge(
    edge: Edge,
    diff_mode: bool,
    ports: dict[str, dict[str, int]],
    rankdir: str,
    *,
    hub: bool = False,
    label: bool = False,
    minlen: int = 1,
) -> pydot.Edge:
    """One edge from the child's FK row to the parent's PK row (or, for a hub, to the parent table's side)."""
    colour = colours(edge.status, edge.risk, diff_mode)[0]
    tail_side, tail_compass, head_side, head_compass = PORTS[rankdir]
    tail_row = ports[edge.table].get(edge.columns[0]) if edge.columns else None
    head_row = ports[edge.referred_table].get(edge.referred_columns[0]) if edge.referred_columns else None
    tail = node_id(edge.table) + (f":{tail_side}{tail_row}:{tail_compass}" if tail_row is not None else "")
    head = node_id(edge.referred_table)
    if head_row is not None and not hub:
        head += f":{head_side}{head_row}:{head_compass}"
    attributes: dict[str, Any] = {
        "arrowtail": child_end(edge),
        "arrowhead": parent_end(edge),
        "color": colour,
        "fontcolor": colour,
        "style": "dashed" if edge.status == REMOVED else "solid",
        "tooltip": html.escape(_tooltip(edge)),
    }
    if label:
        # A real label: dot makes room for it on its own edge (an xlabel is placed after layout, anywhere free).
        attributes["label"] = html.escape(", ".join(edge.columns))
    if minlen > 1:
        attributes["minlen"] = str(minlen)
    return pydot.Edge(tail, head, **attributes)
