"""Render a Diagram as a Graphviz graph (pydot): HTML-like table labels, diff colours, crow's-foot edges."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pydot

from .model import ADDED, CHANGED, REMOVED, SAME, ColumnView, Diagram, Edge, IndexView, TableView

# (text colour, background, header background) per status; GitHub's palette, readable on light themes.
PALETTE = {
    "plain": ("#24292f", "#ffffff", "#ddf4ff"),
    SAME: ("#6e7781", "#ffffff", "#eaeef2"),
    ADDED: ("#1a7f37", "#dafbe1", "#aceebb"),
    REMOVED: ("#cf222e", "#ffebe9", "#ffcecb"),
    CHANGED: ("#9a6700", "#fff8c5", "#fae17d"),
}
FONT = "Helvetica"
DEFAULT_TEXT = PALETTE["plain"][0]
RANKDIRS = ("LR", "RL", "TB", "BT")
# Per rankdir: (tail port side, tail compass, head port side, head compass). Edges leave the child's row on
# the side the layout flows to and enter the parent's row from the other.
_PORTS = {
    "LR": ("r", "e", "l", "w"),
    "RL": ("l", "w", "r", "e"),
    "TB": ("r", "s", "l", "n"),
    "BT": ("r", "n", "l", "s"),
}
_BORDERS = {ADDED: "#1a7f37", REMOVED: "#cf222e", CHANGED: "#bf8700"}
_LEGEND = ((ADDED, "added"), (REMOVED, "<S>removed</S>"), (CHANGED, "changed: before → after"), (SAME, "unchanged"))


@dataclass(frozen=True)
class Style:
    """How a diagram is drawn, apart from what it shows."""

    show_types: bool = True
    show_indexes: bool = False
    rankdir: str = "LR"


def _cell(
    text: str, colour: str, background: str = "", *, strike: bool = False, bold: bool = False, port: str = ""
) -> str:
    attributes = f' PORT="{port}"' if port else ""
    if background:
        attributes += f' BGCOLOR="{background}"'
    if not text:  # Graphviz rejects empty <FONT> and <B> elements
        return f'<TD ALIGN="LEFT"{attributes}></TD>'
    body = html.escape(text)
    if colour == DEFAULT_TEXT and not strike and not bold:  # the node's fontcolor: no <FONT> needed
        return f'<TD ALIGN="LEFT"{attributes}>{body}</TD>'
    if strike:
        body = f"<S>{body}</S>"
    if bold:
        body = f"<B>{body}</B>"
    return f'<TD ALIGN="LEFT"{attributes}><FONT COLOR="{colour}">{body}</FONT></TD>'


def _struck(markup: str, status: str) -> str:
    return f"<S>{markup}</S>" if status == REMOVED else markup


def _column_row(index: int, column: ColumnView, diff_mode: bool, style: Style) -> str:
    colour, background, _ = PALETTE["plain" if not diff_mode else column.status]
    strike = column.status == REMOVED
    keys = " ".join(k for k, on in (("PK", column.primary_key), ("FK", column.foreign_key)) if on)
    type_text = column.before if column.status == CHANGED and column.before else column.type
    bg = background if diff_mode and column.status != SAME else ""
    cells = [
        _cell(keys, colour, bg, bold=True, port=f"l{index}"),
        _cell(column.name, colour, bg, strike=strike, bold=column.primary_key),
    ]
    if style.show_types:
        cells.append(_cell(type_text, colour, bg, strike=strike))
    cells.append(_cell("" if column.nullable else "NOT NULL", colour, bg, strike=strike, port=f"r{index}"))
    return f"<TR>{''.join(cells)}</TR>"


def _index_row(index: IndexView, diff_mode: bool, span: int) -> str:
    colour, background, _ = PALETTE["plain" if not diff_mode else index.status]
    bg = f' BGCOLOR="{background}"' if diff_mode and index.status != SAME else ""
    return (
        f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"{bg}><FONT COLOR="{colour}" POINT-SIZE="9">'
        f"{_struck(html.escape(index.text), index.status)}</FONT></TD></TR>"
    )


def _label(table: TableView, diff_mode: bool, style: Style) -> str:
    text, _, header = PALETTE["plain" if not diff_mode else table.status]
    span = 4 if style.show_types else 3
    rows = [
        f'<TR><TD COLSPAN="{span}" BGCOLOR="{header}" ALIGN="CENTER" CELLPADDING="5">'
        f'<FONT COLOR="{text}" POINT-SIZE="12">{_struck(f"<B>{html.escape(table.name)}</B>", table.status)}'
        "</FONT></TD></TR>"
    ]
    rows.extend(_column_row(index, column, diff_mode, style) for index, column in enumerate(table.columns))
    if style.show_indexes:
        rows.extend(_index_row(index, diff_mode, span) for index in table.indexes)
    border = _BORDERS.get(table.status, "#8c959f") if diff_mode else "#57606a"
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border}">{"".join(rows)}</TABLE>>'
    )


def _node_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _arrowtail(edge: Edge) -> str:
    if edge.unique:
        return "teeodot" if edge.nullable else "tee"
    return "crowodot" if edge.nullable else "crow"


def _edge(edge: Edge, diff_mode: bool, ports: dict[str, dict[str, int]], rankdir: str) -> pydot.Edge:
    colour = PALETTE[SAME if diff_mode and edge.status == SAME else "plain" if not diff_mode else edge.status][0]
    tail_side, tail_compass, head_side, head_compass = _PORTS[rankdir]
    tail_row = ports[edge.table].get(edge.columns[0]) if edge.columns else None
    head_row = ports[edge.referred_table].get(edge.referred_columns[0]) if edge.referred_columns else None
    return pydot.Edge(
        _node_id(edge.table) + (f":{tail_side}{tail_row}:{tail_compass}" if tail_row is not None else ""),
        _node_id(edge.referred_table) + (f":{head_side}{head_row}:{head_compass}" if head_row is not None else ""),
        arrowtail=_arrowtail(edge),
        arrowhead="teetee",
        # xlabel is placed after layout; a plain label makes dot lay out a node per edge,
        # which took 4.5x as long at 1000 tables (bench/: erd full).
        xlabel=html.escape(", ".join(edge.columns)),
        color=colour,
        fontcolor=colour,
        style="dashed" if edge.status == REMOVED else "solid",
    )


def _legend() -> pydot.Node:
    rows = "".join(
        f'<TR><TD BGCOLOR="{PALETTE[s][1]}" ALIGN="LEFT"><FONT COLOR="{PALETTE[s][0]}">{label}</FONT></TD></TR>'
        for s, label in _LEGEND
    )
    legend = (
        '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="#8c959f">'
        f"<TR><TD><B>legend</B></TD></TR>{rows}</TABLE>>"
    )
    return pydot.Node('"legend"', label=legend)


def dot_graph(diagram: Diagram, style: Style) -> pydot.Dot:
    """The pydot graph, nodes and edges in the diagram's order (name order) so that output never churns."""
    graph = pydot.Dot(
        graph_type="digraph",
        rankdir=style.rankdir,
        bgcolor="white",
        nodesep="0.4",
        ranksep="0.9",
        fontname=FONT,
        fontsize="11",
    )
    graph.set_node_defaults(shape="plain", fontname=FONT, fontsize="10", fontcolor=DEFAULT_TEXT)
    graph.set_edge_defaults(
        fontname=FONT, fontsize="9", color="#57606a", fontcolor="#57606a", dir="both", penwidth="1.2"
    )
    ports = {t.name: {c.name: i for i, c in enumerate(t.columns)} for t in diagram.tables}
    for table in diagram.tables:
        graph.add_node(pydot.Node(_node_id(table.name), label=_label(table, diagram.diff_mode, style)))
    for edge in diagram.edges:
        graph.add_edge(_edge(edge, diagram.diff_mode, ports, style.rankdir))
    if diagram.diff_mode:
        graph.add_node(_legend())
    return graph
