"""erd() and ERDiagram: pick a builder for the source, narrow the Diagram, and render it on demand."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypedDict, runtime_checkable

import pydot

from ..changes import fk_target
from ..errors import ConfigurationError
from ..graphviz import render, render_svg
from ..sources import SchemaSource, describe, desired_schema
from .arrange import Groups, groups_of
from .dot import RANKDIRS, Style, dot_graph
from .files import Formats, save
from .filters import neighbours, select
from .focus_view import Focus, focus_for, focused, overview_with_focus
from .from_schema import diagram_of_metadata
from .html import diagram_bundle, diagram_html, is_overview
from .mermaid import to_mermaid
from .model import Diagram, Edge, TableView

_COUNT_LABELS = {
    "+tables": "+{} table{}",
    "-tables": "-{} table{}",
    "+columns": "+{} column{}",
    "-columns": "-{} column{}",
    "~columns": "~{} column{}",
}


class ExploreOptions(TypedDict, total=False):
    """erd()'s options that the explorer passes through unchanged (its controls own the others)."""

    rankdir: str
    changed_only: bool | None
    show_unique: bool
    show_defaults: bool
    show_comments: bool
    edge_labels: bool
    legend: bool | None
    groups: Mapping[str, Iterable[str]] | None


class ErdOptions(ExploreOptions, total=False):
    """erd()'s keyword options, for callers that pass them on (SchemaDiff.erd): the explorer's and its controls'."""

    tables: Iterable[str] | None
    exclude: Iterable[str] | None
    focus: str | Iterable[str] | None
    depth: int
    show_types: bool
    show_indexes: bool


@runtime_checkable
class Drawable(Protocol):
    """Anything that hands over its own Diagram (a SchemaDiff does): erd() needs no import of it."""

    def diagram(self) -> Diagram: ...


@dataclass(frozen=True)
class ERDiagram:
    """An ER diagram: shows as SVG in Jupyter, saves as .svg/.png/.dot/.mmd, exports Mermaid."""

    title: str
    tables: tuple[TableView, ...]
    edges: tuple[Edge, ...]
    diff_mode: bool = False
    show_types: bool = True
    show_indexes: bool = False
    rankdir: str = "LR"
    show_unique: bool = False
    show_defaults: bool = False
    show_comments: bool = False
    edge_labels: bool = False
    legend: bool | None = None
    groups: Groups = ()
    focus: tuple[str, ...] = ()  # the tables erd(focus=...) started from: the caller already chose a part
    _svg_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    # -- facts ---------------------------------------------------------------------------------------

    @property
    def model(self) -> Diagram:
        """What is drawn, without how."""
        return Diagram(self.title, self.tables, self.edges, self.diff_mode)

    @property
    def style(self) -> Style:
        """How it is drawn: the fields it shares with Style by name, so that a new style option is listed once."""
        return Style(**{option.name: getattr(self, option.name) for option in fields(Style)})

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)

    def counts(self) -> dict[str, int]:
        """Added, removed and changed tables and columns (all zero outside a diff)."""
        return self.model.counts()

    @property
    def summary(self) -> str:
        """A stable one-line description: the text/plain form of the diagram."""
        n_tables, n_edges = len(self.tables), len(self.edges)
        text = f"ER diagram: {n_tables} table{'s' * (n_tables != 1)}, {n_edges} relationship{'s' * (n_edges != 1)}"
        if self.diff_mode:
            parts = [_COUNT_LABELS[k].format(v, "s" * (v != 1)) for k, v in self.counts().items() if v]
            text += "; " + (", ".join(parts) if parts else "no changes")
        return text

    def __repr__(self) -> str:
        return f"<ERDiagram {self.summary}>"

    # -- rendering -----------------------------------------------------------------------------------

    @cached_property
    def graph(self) -> pydot.Dot:
        """The pydot graph, nodes and edges in name order so that output never churns."""
        return dot_graph(self.model, self.style)

    def to_dot(self) -> str:
        """Graphviz DOT source."""
        return str(self.graph.to_string())

    def svg(self) -> str:
        """The diagram as SVG text, byte-identical for the same input (no version comment, no ids)."""
        if "svg" not in self._svg_cache:
            self._svg_cache["svg"] = render_svg(self.to_dot())
        return self._svg_cache["svg"]

    def png(self) -> bytes:
        return render(self.to_dot(), "png")

    def to_mermaid(self) -> str:
        """Mermaid `erDiagram` text (GitHub and JupyterLab 4.1+ render it); diff status shows as comments."""
        return to_mermaid(self.model)

    def focused_view(self) -> tuple[ERDiagram, Focus] | None:
        """The part drawn at readable size under an overview: a diff's changed tables or the hub, and neighbours.

        None when the caller focused the diagram, when it is small enough to read whole, or when the focus would
        hold every table drawn (see schema_tools.drawing.focus_view).
        """
        if self.focus or not is_overview(self.svg()):
            return None
        found = focus_for(self.model)
        shown = focused(self.model, found) if found is not None else None
        if found is None or shown is None:
            return None
        part = replace(self, tables=shown.tables, edges=shown.edges, focus=found.start, _svg_cache={})
        return part, found

    def _html(self, svg: str) -> str:
        # Kept with the SVG: an explorer asks for its static output on every redraw, and the focus costs a layout.
        if "html" not in self._svg_cache:
            view = self.focused_view()
            self._svg_cache["html"] = (
                diagram_html(svg, self.summary)
                if view is None
                else overview_with_focus(
                    (svg, self.summary, len(self.tables)),
                    (view[0].svg(), view[0].summary, len(view[0].tables)),
                    view[1],
                )
            )
        return self._svg_cache["html"]

    def _repr_html_(self) -> str:
        """The SVG as an image scaled to the output's width, above a size with a focused view (html, focus_view)."""
        return self._html(self.svg())

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> dict[str, str]:
        # JupyterLab shows the HTML (fitted, and kept in an untrusted notebook); nbconvert and others take the SVG.
        return diagram_bundle(self.svg, self.summary, self._html)

    def save(self, path: str | Path) -> Path:
        """Write .svg, .png, .dot or .mmd, chosen by the file's suffix."""
        formats: Formats = {
            (".svg",): self.svg,
            (".png",): self.png,
            (".dot", ".gv"): self.to_dot,
            (".mmd", ".mermaid"): self.to_mermaid,
        }
        return save(path, formats, "an ER diagram")


def diagram_of(
    source: SchemaSource | Drawable | Diagram, focus: str | Iterable[str] | None = None, depth: int = 1
) -> Diagram:
    """The Diagram of a source: a Diagram as it is, a Drawable's own, else its schema read once.

    With a `focus`, only the tables within `depth` foreign keys get their rows built: at 10,000 tables,
    building every table's rows costs seconds that the focus view then throws away.
    """
    if isinstance(source, Diagram):
        return source
    if isinstance(source, Drawable):
        return source.diagram()
    metadata = desired_schema(source)
    title = describe(source) if source is not None else "models"
    start = ({focus} if isinstance(focus, str) else set(focus)) if focus is not None else set()
    if not start or not start <= {table.name for table in metadata.tables.values()}:
        return diagram_of_metadata(metadata, title)
    graph = [
        (table.name, fk_target(fk)[0]) for table in metadata.tables.values() for fk in table.foreign_key_constraints
    ]
    return diagram_of_metadata(metadata, title, only=neighbours(graph, start, max(depth, 0)))


def erd(
    source: SchemaSource | Drawable | Diagram = None,
    *,
    tables: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    focus: str | Iterable[str] | None = None,
    depth: int = 1,
    show_types: bool = True,
    show_indexes: bool = False,
    rankdir: str = "LR",
    changed_only: bool | None = None,
    show_unique: bool = False,
    show_defaults: bool = False,
    show_comments: bool = False,
    edge_labels: bool = False,
    legend: bool | None = None,
    groups: Mapping[str, Iterable[str]] | None = None,
) -> ERDiagram:
    """An ER diagram of models (default), a MetaData, a live database, a revision id, or a SchemaDiff.

    Reading a database is read-only and reflects into a fresh MetaData; the caller's MetaData is never
    changed. `focus` keeps one table (or several) and its neighbours `depth` foreign keys away. For a diff,
    `changed_only` (default: on above 25 tables) keeps the changed tables and their neighbours.
    `show_unique`/`show_defaults`/`show_comments` add UQ markers, defaults and comments; `edge_labels` writes
    the FK columns on each edge (the edge already leaves the FK row); `legend` (default: a diff's only) explains
    the notation and colours; `groups` ({name: tables}) draws each group as a cluster.
    """
    if rankdir not in RANKDIRS:
        raise ConfigurationError(f"rankdir must be LR, RL, TB or BT, not {rankdir!r}")
    whole = diagram_of(source, focus if tables is None and exclude is None else None, depth)
    shown = select(whole, tables=tables, exclude=exclude, focus=focus, depth=depth, changed=changed_only)
    return ERDiagram(
        title=shown.title,
        tables=shown.tables,
        edges=shown.edges,
        diff_mode=shown.diff_mode,
        show_types=show_types,
        show_indexes=show_indexes or shown.diff_mode,
        rankdir=rankdir,
        show_unique=show_unique,
        show_defaults=show_defaults,
        show_comments=show_comments,
        edge_labels=edge_labels,
        legend=legend,
        groups=groups_of(groups),
        focus=(focus,) if isinstance(focus, str) else tuple(sorted(set(focus or ()))),
    )
