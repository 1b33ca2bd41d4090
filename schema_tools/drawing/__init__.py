"""ER diagrams: one Diagram model, a builder per source, small filters, and one renderer per format."""

from __future__ import annotations

from .dot import PALETTE, Style, dot_graph
from .draw import Drawable, ERDiagram, ErdOptions, diagram_of, erd
from .filters import LARGE_SCHEMA, neighbourhood, select
from .from_diff import diagram_of_changes
from .from_schema import diagram_of_metadata
from .mermaid import to_mermaid
from .model import ADDED, CHANGED, REMOVED, SAME, ColumnView, Diagram, Edge, IndexView, Status, TableView

__all__ = [
    "ADDED",
    "CHANGED",
    "LARGE_SCHEMA",
    "PALETTE",
    "REMOVED",
    "SAME",
    "ColumnView",
    "Diagram",
    "Drawable",
    "ERDiagram",
    "ErdOptions",
    "Edge",
    "IndexView",
    "Status",
    "Style",
    "TableView",
    "diagram_of",
    "diagram_of_changes",
    "diagram_of_metadata",
    "dot_graph",
    "erd",
    "neighbourhood",
    "select",
    "to_mermaid",
]
