"""Render a Diagram as a Graphviz graph (pydot): HTML-like table labels, risk colours, crow's-foot edges."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pydot

from .arrange import Groups, group_clusters, isolated, isolated_cluster
from .dot_edges import PORTS, dot_edge, hubs, leaf_lengths, node_id
from .legend import legend
from .model import ADDED, CHANGED, REMOVED, SAME, ColumnView, Diagram, IndexView, TableView
from .palette import DEFAULT_TEXT, FONT, PALETTE, border, colours

__all__ = ["FONT", "PALETTE", "RANKDIRS", "Style", "dot_graph"]

RANKDIRS = tuple(PORTS)
LARGE = 25  # above this many tables, leaves are staggered over √N ranks to keep the overview near square
_MARKERS = {ADDED: "+", CHANGED: "~", REMOVED: "−"}


@dataclass(frozen=True)
class Style:
    """How a diagram is drawn, apart from what it shows (`legend` None: only for a diff)."""

    show_types: bool = True
    show_indexes: bool = False
    rankdir: str = "LR"
    show_unique: bool = False
    show_defaults: bool = False
    show_comments: bool = False
    edge_labels: bool = False
    legend: bool | None = None
    groups: Groups = ()

    @property
    def span(self) -> int:
        """Cells in a column row: keys, name, then the optional ones, then nullability."""
        return 3 + self.show_types + self.show_defaults + self.show_comments


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


def _keys(column: ColumnView, marked: bool, style: Style) -> str:
    flags = (("PK", column.primary_key), ("FK", column.foreign_key), ("UQ", style.show_unique and column.unique))
    keys = " ".join(k for k, on in flags if on)
    marker = _MARKERS.get(column.status, "") if marked else ""
    return f"{marker} {keys}".strip()


def _column_row(index: int, column: ColumnView, table: TableView, diff_mode: bool, style: Style) -> str:
    colour, background, _ = colours(column.status, column.risk, diff_mode)
    strike = column.status == REMOVED
    type_text = column.before if column.status == CHANGED and column.before else column.type
    bg = background if diff_mode and column.status != SAME else ""
    marked = diff_mode and table.status == CHANGED
    texts = [(column.name, column.primary_key)]
    if style.show_types:
        texts.append((type_text, False))
    if style.show_defaults:
        texts.append((f"= {column.default}" if column.default is not None else "", False))
    texts.append(("" if column.nullable else "NOT NULL", False))
    if style.show_comments:
        texts.append((column.comment or "", False))
    cells = [_cell(_keys(column, marked, style), colour, bg, bold=True, port=f"l{index}")]
    for position, (text, bold) in enumerate(texts, start=1):
        port = f"r{index}" if position == len(texts) else ""
        cells.append(_cell(text, colour, bg, strike=strike, bold=bold, port=port))
    return f"<TR>{''.join(cells)}</TR>"


def _index_row(index: IndexView, diff_mode: bool, span: int) -> str:
    colour, background, _ = colours(index.status, index.risk, diff_mode)
    bg = f' BGCOLOR="{background}"' if diff_mode and index.status != SAME else ""
    return (
        f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"{bg}><FONT COLOR="{colour}" POINT-SIZE="9">'
        f"{_struck(html.escape(index.text), index.status)}</FONT></TD></TR>"
    )


def _label(table: TableView, diff_mode: bool, style: Style) -> str:
    text, _, header = colours(table.status, table.risk, diff_mode)
    span = style.span
    rows = [
        f'<TR><TD COLSPAN="{span}" BGCOLOR="{header}" ALIGN="CENTER" CELLPADDING="5">'
        f'<FONT COLOR="{text}" POINT-SIZE="12">{_struck(f"<B>{html.escape(table.name)}</B>", table.status)}'
        "</FONT></TD></TR>"
    ]
    if style.show_comments and table.comment:
        rows.append(
            f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"><FONT POINT-SIZE="9"><I>{html.escape(table.comment)}</I>'
            "</FONT></TD></TR>"
        )
    rows.extend(_column_row(index, column, table, diff_mode, style) for index, column in enumerate(table.columns))
    if style.show_indexes:
        rows.extend(_index_row(index, diff_mode, span) for index in table.indexes)
    frame = border(table.status, table.risk, diff_mode)
    return f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{frame}">{"".join(rows)}</TABLE>>'


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
        graph.add_node(pydot.Node(node_id(table.name), label=_label(table, diagram.diff_mode, style)))
    for cluster in group_clusters(diagram, style.groups):
        graph.add_subgraph(cluster)
    alone = isolated(diagram, (name for _, tables in style.groups for name in tables))
    if len(alone) > 1 and diagram.edges:
        graph.add_subgraph(isolated_cluster(alone))
    hub_names = hubs(diagram.edges)
    n_tables = len(diagram.tables)
    lengths = leaf_lengths(diagram, math.ceil(math.sqrt(n_tables)) if n_tables > LARGE else 1)
    for index, edge in enumerate(diagram.edges):
        hub = edge.referred_table in hub_names
        minlen = lengths.get(index, 1)
        graph.add_edge(
            dot_edge(edge, diagram.diff_mode, ports, style.rankdir, hub=hub, label=style.edge_labels, minlen=minlen)
        )
    if diagram.diff_mode if style.legend is None else style.legend:
        graph.add_subgraph(legend(diagram.diff_mode))
    return graph
