"""The legend: what the crow's-foot ends mean and, for a diff, the risk colours and change markers."""

from __future__ import annotations

import pydot

from .dot_edges import EXACTLY_ONE, ZERO_OR_MANY, ZERO_OR_ONE
from .model import SAME
from .palette import PALETTE, RISK_PALETTE

NOTATION = (
    (EXACTLY_ONE, "exactly one (NOT NULL foreign key)"),
    (ZERO_OR_ONE, "zero or one (nullable or unique foreign key)"),
    (ZERO_OR_MANY, "zero or many (child rows)"),
)
RISK_LABELS = (("safe", "safe"), ("may-fail", "may fail"), ("data-loss", "data loss"))
MARKERS = (("+", "added"), ("~", "changed: before → after"), ("−", "<S>removed</S>"))
LEGEND_NODES = ("legend",) + tuple(f"legend_{i}{end}" for i in range(len(NOTATION)) for end in "ab")


def _colour_rows() -> str:
    rows = [
        f'<TR><TD BGCOLOR="{RISK_PALETTE[risk][1]}" ALIGN="LEFT" COLSPAN="2">'
        f'<FONT COLOR="{RISK_PALETTE[risk][0]}">{label}</FONT></TD></TR>'
        for risk, label in RISK_LABELS
    ]
    rows.extend(f'<TR><TD ALIGN="LEFT"><B>{mark}</B></TD><TD ALIGN="LEFT">{label}</TD></TR>' for mark, label in MARKERS)
    rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT COLOR="{PALETTE[SAME][0]}">unchanged</FONT></TD></TR>')
    return "".join(rows)


def legend(diff_mode: bool) -> pydot.Subgraph:
    """A cluster with the notation's three ends drawn as short edges and, in a diff, a table of colours."""
    cluster = pydot.Subgraph(
        "cluster_legend", label="legend", fontsize="10", color="#8c959f", style="rounded", margin="8"
    )
    title = "colour: the change's risk, as in the diff table" if diff_mode else "crow's foot"
    body = _colour_rows() if diff_mode else ""
    cluster.add_node(
        pydot.Node(
            '"legend"',
            label=(
                '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
                f'<TR><TD ALIGN="LEFT" COLSPAN="2"><I>{title}</I></TD></TR>{body}</TABLE>>'
            ),
        )
    )
    for index, (arrow, text) in enumerate(NOTATION):
        start, end = f'"legend_{index}a"', f'"legend_{index}b"'
        cluster.add_node(pydot.Node(start, shape="point", width="0.01", style="invis"))
        cluster.add_node(pydot.Node(end, shape="box", label=text, fontsize="9", width="0", height="0.2", margin="0.04"))
        cluster.add_edge(pydot.Edge(start, end, arrowhead=arrow, arrowtail="none", color="#24292f", minlen="1"))
    return cluster
