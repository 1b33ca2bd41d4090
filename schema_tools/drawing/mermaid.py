"""Render a Diagram as Mermaid `erDiagram` text (GitHub and JupyterLab 4.1+ draw it; no Graphviz needed)."""

from __future__ import annotations

import re

from .model import SAME, ColumnView, Diagram, Edge


def _name(name: str) -> str:
    return re.sub(r"\W", "_", name) or "_"


def _column(column: ColumnView) -> str:
    keys = ",".join(k for k, on in (("PK", column.primary_key), ("FK", column.foreign_key)) if on)
    note = "" if column.status == SAME else f' "{column.status}"'  # Mermaid has no colours: status as a comment
    type_ = re.sub(r"[^\w()\[\]-]", "_", column.type) or "unknown"
    return f"        {type_} {_name(column.name)}{' ' + keys if keys else ''}{note}"


def _relationship(edge: Edge) -> str:
    left = "||" if not edge.nullable else "|o"
    right = "|o" if edge.unique else "o{"
    label = ", ".join(edge.columns)
    return f'    {_name(edge.referred_table)} {left}--{right} {_name(edge.table)} : "{label}"'


def to_mermaid(diagram: Diagram) -> str:
    """Every table with its columns, then every relationship, one per line."""
    lines = ["erDiagram"]
    for table in diagram.tables:
        lines.append(f"    {_name(table.name)} {{")
        lines.extend(_column(column) for column in table.columns)
        lines.append("    }")
    lines.extend(_relationship(edge) for edge in diagram.edges)
    return "\n".join(lines) + "\n"
