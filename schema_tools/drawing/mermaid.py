"""Render a Diagram as Mermaid `erDiagram` text (GitHub and JupyterLab 4.1+ draw it; no Graphviz needed)."""

from __future__ import annotations

import re

from .model import SAME, ColumnView, Diagram, Edge


def _name(name: str) -> str:
    return re.sub(r"\W", "_", name) or "_"


def mermaid_type(text: str) -> str:
    """A type as Mermaid's attribute-type token allows it: a letter first, then letters, digits, `-_()[]`.

    A comma would end the token (Mermaid separates keys with commas), so `NUMERIC(5, 2)` is written
    `NUMERIC(5_2)`; the precision stays readable and the parentheses stay, which Mermaid accepts.
    """
    bare = re.sub(r"['\"]", "", text.strip())  # ENUM('a', 'b') -> ENUM(a_b)
    token = re.sub(r"[^\w()\[\]-]+", "_", re.sub(r",\s*", "_", bare)).strip("_")
    if not token:
        return "unknown"
    return token if token[0].isalpha() else f"t_{token}"


def _column(column: ColumnView) -> str:
    flags = (("PK", column.primary_key), ("FK", column.foreign_key), ("UK", column.unique))
    keys = ",".join(k for k, on in flags if on)
    # One comment per attribute: the nullability, then (Mermaid has no colours) a diff's status.
    note = "NULL" if column.nullable else "NOT NULL"
    if column.status != SAME:
        note += f"; {column.status}"
    return f'        {mermaid_type(column.type)} {_name(column.name)}{" " + keys if keys else ""} "{note}"'


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
