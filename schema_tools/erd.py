"""erd(): ER diagrams of models, live databases, revisions and diffs; the code lives in schema_tools.drawing."""

from __future__ import annotations

from .drawing import (
    ADDED,
    CHANGED,
    LARGE_SCHEMA,
    PALETTE,
    REMOVED,
    SAME,
    ColumnView,
    Diagram,
    Edge,
    ERDiagram,
    IndexView,
    TableView,
    erd,
)

__all__ = [
    "ADDED",
    "CHANGED",
    "LARGE_SCHEMA",
    "PALETTE",
    "REMOVED",
    "SAME",
    "ColumnView",
    "Diagram",
    "ERDiagram",
    "Edge",
    "IndexView",
    "TableView",
    "erd",
]
