"""erd(): ER diagrams of models, live databases, revisions and diffs, as deterministic SVG, PNG, DOT or Mermaid."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pydot
import sqlalchemy as sa
from sqlalchemy import MetaData

from .changes import fk_target
from .errors import ConfigurationError, GraphvizMissing
from .graphviz import render, render_svg
from .sources import SchemaSource, describe, desired_schema

# Why not sqlalchemy_schemadisplay.create_schema_graph? It cannot give this result by configuration:
# its labels are fixed (7 pt text, no per-column colour, so a diff cannot be drawn), a column that is
# both PK and FK becomes an inheritance arrow, indexes are only shown on PostgreSQL, through a query
# per table built with an f-string while drawing, and it reflects into the MetaData it is given.
# So the pydot graph is built here, from metadata that was reflected once, up front, read-only.

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"
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
LARGE_SCHEMA = 25  # above this many tables, a diff diagram shows only changed tables and their neighbours


@dataclass(frozen=True)
class ColumnView:
    """A column as drawn: its markers, type, nullability and diff status."""

    name: str
    type: str
    nullable: bool
    primary_key: bool
    foreign_key: bool
    status: str = SAME
    before: str | None = None


@dataclass(frozen=True)
class TableView:
    """A table as drawn."""

    name: str
    columns: tuple[ColumnView, ...]
    indexes: tuple[tuple[str, str], ...] = ()  # (text, status)
    status: str = SAME


@dataclass(frozen=True)
class EdgeView:
    """A foreign key as drawn: child columns to parent columns."""

    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    nullable: bool
    unique: bool
    status: str = SAME


@dataclass(frozen=True)
class ERDiagram:
    """An ER diagram: shows as SVG in Jupyter, saves as .svg/.png/.dot/.mmd, exports Mermaid."""

    title: str
    tables: tuple[TableView, ...]
    edges: tuple[EdgeView, ...]
    diff_mode: bool = False
    show_types: bool = True
    show_indexes: bool = False
    rankdir: str = "LR"
    _svg_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    # -- facts ---------------------------------------------------------------------------------------

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)

    def counts(self) -> dict[str, int]:
        """Added, removed and changed tables and columns (all zero outside a diff)."""
        counts = {"+tables": 0, "-tables": 0, "+columns": 0, "-columns": 0, "~columns": 0}
        for table in self.tables:
            if table.status == ADDED:
                counts["+tables"] += 1
            elif table.status == REMOVED:
                counts["-tables"] += 1
            else:
                for column in table.columns:
                    key = {ADDED: "+columns", REMOVED: "-columns", CHANGED: "~columns"}.get(column.status)
                    if key:
                        counts[key] += 1
        return counts

    @property
    def summary(self) -> str:
        """A stable one-line description: the text/plain form of the diagram."""
        n_tables, n_edges = len(self.tables), len(self.edges)
        text = f"ER diagram: {n_tables} table{'s' * (n_tables != 1)}, {n_edges} relationship{'s' * (n_edges != 1)}"
        if self.diff_mode:
            labels = {
                "+tables": "+{} table{}",
                "-tables": "-{} table{}",
                "+columns": "+{} column{}",
                "-columns": "-{} column{}",
                "~columns": "~{} column{}",
            }
            parts = [labels[k].format(v, "s" * (v != 1)) for k, v in self.counts().items() if v]
            text += "; " + (", ".join(parts) if parts else "no changes")
        return text

    def __repr__(self) -> str:
        return f"<ERDiagram {self.summary}>"

    # -- rendering -----------------------------------------------------------------------------------

    @cached_property
    def graph(self) -> pydot.Dot:
        """The pydot graph, nodes and edges in name order so that output never churns."""
        return _build_graph(self)

    def to_dot(self) -> str:
        """Graphviz DOT source."""
        return self.graph.to_string()

    def svg(self) -> str:
        """The diagram as SVG text, byte-identical for the same input (no version comment, no ids)."""
        if "svg" not in self._svg_cache:
            self._svg_cache["svg"] = render_svg(self.to_dot())
        return self._svg_cache["svg"]

    def png(self) -> bytes:
        return render(self.to_dot(), "png")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # No text/html: JupyterLab would show it instead of the SVG.
        try:
            return {"image/svg+xml": self.svg(), "text/plain": self.summary}
        except GraphvizMissing as error:
            return {"text/plain": f"{self.summary}\n{error}"}

    def save(self, path: str | Path) -> Path:
        """Write .svg, .png, .dot or .mmd, chosen by the file's suffix."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".svg":
            target.write_text(self.svg())
        elif suffix == ".png":
            target.write_bytes(self.png())
        elif suffix in (".dot", ".gv"):
            target.write_text(self.to_dot())
        elif suffix in (".mmd", ".mermaid"):
            target.write_text(self.to_mermaid())
        else:
            raise ConfigurationError(
                f"cannot save an ER diagram as {suffix or 'a file without suffix'}: use .svg, .png, .dot or .mmd"
            )
        return target

    def to_mermaid(self) -> str:
        """Mermaid `erDiagram` text (GitHub and JupyterLab 4.1+ render it); diff status shows as comments."""
        lines = ["erDiagram"]
        for table in self.tables:
            lines.append(f"    {_mermaid_name(table.name)} {{")
            for column in table.columns:
                keys = ",".join(k for k, on in (("PK", column.primary_key), ("FK", column.foreign_key)) if on)
                note = "" if column.status == SAME else f' "{column.status}"'
                type_ = re.sub(r"[^\w()\[\]-]", "_", column.type) or "unknown"
                lines.append(f"        {type_} {_mermaid_name(column.name)}{' ' + keys if keys else ''}{note}")
            lines.append("    }")
        for edge in self.edges:
            left = "||" if not edge.nullable else "|o"
            right = "|o" if edge.unique else "o{"
            label = ", ".join(edge.columns)
            lines.append(
                f'    {_mermaid_name(edge.referred_table)} {left}--{right} {_mermaid_name(edge.table)} : "{label}"'
            )
        return "\n".join(lines) + "\n"


def _mermaid_name(name: str) -> str:
    return re.sub(r"\W", "_", name) or "_"


# -- building views from metadata --------------------------------------------------------------------


def _type_text(column: sa.Column[Any]) -> str:
    try:
        return str(column.type.compile())
    except Exception:  # a dialect-specific type the default dialect cannot compile
        return type(column.type).__name__.upper()


def _fk_columns(table: sa.Table) -> set[str]:
    return {element.parent.name for fk in table.foreign_key_constraints for element in fk.elements}


def _unique_sets(table: sa.Table) -> set[tuple[str, ...]]:
    sets = {tuple(c.name for c in table.primary_key.columns)}
    sets |= {tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, sa.UniqueConstraint)}
    sets |= {tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique}
    return sets


def _index_texts(table: sa.Table) -> list[str]:
    texts = []
    for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
        columns = ", ".join(c.name for c in index.columns)
        texts.append(f"{'UNIQUE' if index.unique else 'INDEX'} {index.name} ({columns})")
    for constraint in sorted(
        (c for c in table.constraints if isinstance(c, sa.UniqueConstraint)), key=lambda c: str(c.name or "")
    ):
        texts.append(
            f"UNIQUE {constraint.name or ''} ({', '.join(c.name for c in constraint.columns)})".replace("  ", " ")
        )
    return texts


def _column_view(
    column: sa.Column[Any], fk_columns: set[str], status: str = SAME, before: str | None = None
) -> ColumnView:
    return ColumnView(
        name=column.name,
        type=_type_text(column),
        nullable=bool(column.nullable),
        primary_key=bool(column.primary_key),
        foreign_key=column.name in fk_columns,
        status=status,
        before=before,
    )


def _table_view(table: sa.Table, status: str = SAME) -> TableView:
    fk_columns = _fk_columns(table)
    columns = tuple(_column_view(c, fk_columns, status if status != SAME else SAME) for c in table.columns)
    indexes = tuple((text, status if status != SAME else SAME) for text in _index_texts(table))
    return TableView(table.name, columns, indexes, status)


def _edges(table: sa.Table, status: str = SAME) -> list[EdgeView]:
    unique_sets = _unique_sets(table)
    edges = []
    for fk in table.foreign_key_constraints:
        referred, referred_columns = fk_target(fk)
        columns = tuple(element.parent.name for element in fk.elements)
        nullable = any(table.c[name].nullable for name in columns if name in table.c)
        edges.append(
            EdgeView(table.name, columns, referred, referred_columns, nullable, columns in unique_sets, status)
        )
    return edges


def _views_of_metadata(metadata: MetaData) -> tuple[list[TableView], list[EdgeView]]:
    tables = [_table_view(metadata.tables[name]) for name in sorted(metadata.tables)]
    edges = [edge for name in sorted(metadata.tables) for edge in _edges(metadata.tables[name])]
    return tables, edges


def _views_of_diff(schema_diff: Any) -> tuple[list[TableView], list[EdgeView], set[str]]:
    """The union of the desired and the current schema, each element marked with its diff status."""
    desired, current = schema_diff.desired, schema_diff.current
    by_table: dict[str, list[Any]] = {}
    for change in schema_diff:
        by_table.setdefault(change.table or "", []).append(change)
    changed_tables = set(by_table)
    tables: list[TableView] = []
    edges: list[EdgeView] = []
    for name in sorted(set(desired.tables) | set(current.tables)):
        changes = by_table.get(name, [])
        if name not in current.tables:
            tables.append(_table_view(desired.tables[name], ADDED))
            edges.extend(_edges(desired.tables[name], ADDED))
            continue
        if name not in desired.tables:
            tables.append(_table_view(current.tables[name], REMOVED))
            edges.extend(_edges(current.tables[name], REMOVED))
            continue
        new, old = desired.tables[name], current.tables[name]
        added = {c.name for c in changes if c.kind == "add_column"}
        removed = {c.name for c in changes if c.kind == "remove_column"}
        modified: dict[str, list[Any]] = {}
        for change in changes:
            if change.kind.startswith("modify_") and change.name:
                modified.setdefault(change.name, []).append(change)
        fk_new, fk_old = _fk_columns(new), _fk_columns(old)
        columns = []
        for column in new.columns:
            if column.name in added:
                columns.append(_column_view(column, fk_new, ADDED))
            elif column.name in modified:
                before = "; ".join(f"{c.before} → {c.after}" for c in modified[column.name])
                columns.append(_column_view(column, fk_new, CHANGED, before))
            else:
                columns.append(_column_view(column, fk_new, SAME))
        for column in old.columns:
            if column.name in removed:
                columns.append(_column_view(column, fk_old, REMOVED))
        index_changes = {
            (c.kind, c.name)
            for c in changes
            if c.kind in ("add_index", "remove_index", "add_constraint", "remove_constraint")
        }
        indexes: list[tuple[str, str]] = []
        for text in _index_texts(new):
            name_in_text = text.split()[1] if len(text.split()) > 1 else ""
            added_index = ("add_index", name_in_text) in index_changes or (
                "add_constraint",
                name_in_text,
            ) in index_changes
            indexes.append((text, ADDED if added_index else SAME))
        for text in _index_texts(old):
            name_in_text = text.split()[1] if len(text.split()) > 1 else ""
            if ("remove_index", name_in_text) in index_changes or ("remove_constraint", name_in_text) in index_changes:
                indexes.append((text, REMOVED))
        tables.append(TableView(name, tuple(columns), tuple(indexes), CHANGED if changes else SAME))
        added_fks = {c.name for c in changes if c.kind == "add_fk"}
        removed_fks = {c.name for c in changes if c.kind == "remove_fk"}
        for fk_edge, fk in zip(_edges(new), new.foreign_key_constraints, strict=True):
            edges.append(_with_status(fk_edge, ADDED if fk.name in added_fks else SAME))
        for fk_edge, fk in zip(_edges(old), old.foreign_key_constraints, strict=True):
            if fk.name in removed_fks:
                edges.append(_with_status(fk_edge, REMOVED))
    return tables, edges, changed_tables


def _with_status(edge: EdgeView, status: str) -> EdgeView:
    return EdgeView(
        edge.table, edge.columns, edge.referred_table, edge.referred_columns, edge.nullable, edge.unique, status
    )


def _neighbourhood(edges: Iterable[EdgeView], start: Iterable[str], depth: int) -> set[str]:
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.table, set()).add(edge.referred_table)
        graph.setdefault(edge.referred_table, set()).add(edge.table)
    seen = set(start)
    frontier = deque((name, 0) for name in seen)
    while frontier:
        name, distance = frontier.popleft()
        if distance >= depth:
            continue
        for neighbour in sorted(graph.get(name, ())):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append((neighbour, distance + 1))
    return seen


def erd(
    source: SchemaSource | Any = None,
    *,
    tables: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    focus: str | Iterable[str] | None = None,
    depth: int = 1,
    show_types: bool = True,
    show_indexes: bool = False,
    rankdir: str = "LR",
    changed_only: bool | None = None,
) -> ERDiagram:
    """An ER diagram of models (default), a MetaData, a live database, a revision id, or a SchemaDiff.

    Reading a database is read-only and reflects into a fresh MetaData; the caller's MetaData is never
    changed. `focus` keeps one table (or several) and its neighbours `depth` foreign keys away. For a diff,
    `changed_only` (default: on above 25 tables) keeps the changed tables and their neighbours.
    """
    from .diff import SchemaDiff

    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ConfigurationError(f"rankdir must be LR, RL, TB or BT, not {rankdir!r}")
    diff_mode = isinstance(source, SchemaDiff)
    if diff_mode:
        table_views, edge_views, changed = _views_of_diff(source)
        title = f"{source.target} -> {source.source}"
        if changed_only is None:
            changed_only = len(table_views) > LARGE_SCHEMA
        if changed_only and focus is None:
            keep = _neighbourhood(edge_views, changed, 1)
            table_views = [t for t in table_views if t.name in keep]
    else:
        metadata = desired_schema(source)
        table_views, edge_views = _views_of_metadata(metadata)
        title = describe(source) if source is not None else "models"
    known = {t.name for t in table_views}
    if focus is not None:
        start = {focus} if isinstance(focus, str) else set(focus)
        unknown = sorted(start - known)
        if unknown:
            raise ConfigurationError(
                f"no table named {', '.join(unknown)} to focus on: pick one of {', '.join(sorted(known)[:12])}"
            )
        keep = _neighbourhood(edge_views, start, max(depth, 0))
        table_views = [t for t in table_views if t.name in keep]
    if tables is not None:
        wanted = set(tables)
        unknown = sorted(wanted - known)
        if unknown:
            raise ConfigurationError(f"unknown table(s) {', '.join(unknown)}: check tables=")
        table_views = [t for t in table_views if t.name in wanted]
    if exclude is not None:
        dropped = set(exclude)
        table_views = [t for t in table_views if t.name not in dropped]
    drawn = {t.name for t in table_views}
    edge_views = sorted(
        (e for e in edge_views if e.table in drawn and e.referred_table in drawn),
        key=lambda e: (e.table, e.columns, e.referred_table, e.status),
    )
    return ERDiagram(
        title=title,
        tables=tuple(table_views),
        edges=tuple(edge_views),
        diff_mode=diff_mode,
        show_types=show_types,
        show_indexes=show_indexes or diff_mode,
        rankdir=rankdir,
    )


# -- drawing -----------------------------------------------------------------------------------------


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


def _label(table: TableView, diagram: ERDiagram) -> str:
    mode = "plain" if not diagram.diff_mode else table.status
    text, _, header = PALETTE[mode]
    span = 4 if diagram.show_types else 3
    rows = [
        f'<TR><TD COLSPAN="{span}" BGCOLOR="{header}" ALIGN="CENTER" CELLPADDING="5">'
        f'<FONT COLOR="{text}" POINT-SIZE="12">{_struck(f"<B>{html.escape(table.name)}</B>", table.status)}'
        "</FONT></TD></TR>"
    ]
    for index, column in enumerate(table.columns):
        status = "plain" if not diagram.diff_mode else column.status
        colour, background, _ = PALETTE[status]
        strike = column.status == REMOVED
        keys = " ".join(k for k, on in (("PK", column.primary_key), ("FK", column.foreign_key)) if on)
        type_text = column.type
        if column.status == CHANGED and column.before:
            type_text = column.before
        bg = background if diagram.diff_mode and column.status != SAME else ""
        cells = [
            _cell(keys, colour, bg, bold=True, port=f"l{index}"),
            _cell(column.name, colour, bg, strike=strike, bold=column.primary_key),
        ]
        if diagram.show_types:
            cells.append(_cell(type_text, colour, bg, strike=strike))
        cells.append(_cell("" if column.nullable else "NOT NULL", colour, bg, strike=strike, port=f"r{index}"))
        rows.append(f"<TR>{''.join(cells)}</TR>")
    if diagram.show_indexes and table.indexes:
        for text_, status_ in table.indexes:
            colour, background, _ = PALETTE["plain" if not diagram.diff_mode else status_]
            bg = f' BGCOLOR="{background}"' if diagram.diff_mode and status_ != SAME else ""
            rows.append(
                f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"{bg}><FONT COLOR="{colour}" POINT-SIZE="9">'
                f"{_struck(html.escape(text_), status_)}</FONT></TD></TR>"
            )
    border = (
        {ADDED: "#1a7f37", REMOVED: "#cf222e", CHANGED: "#bf8700"}.get(table.status, "#8c959f")
        if diagram.diff_mode
        else "#57606a"
    )
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border}">{"".join(rows)}</TABLE>>'
    )


def _node_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _build_graph(diagram: ERDiagram) -> pydot.Dot:
    graph = pydot.Dot(
        graph_type="digraph",
        rankdir=diagram.rankdir,
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
    # Edges leave the child's row on the side the layout flows to and enter the parent's row from the other.
    ports = {t.name: {c.name: i for i, c in enumerate(t.columns)} for t in diagram.tables}
    tail_side, tail_compass, head_side, head_compass = {
        "LR": ("r", "e", "l", "w"),
        "RL": ("l", "w", "r", "e"),
        "TB": ("r", "s", "l", "n"),
        "BT": ("r", "n", "l", "s"),
    }[diagram.rankdir]
    for table in diagram.tables:
        graph.add_node(pydot.Node(_node_id(table.name), label=_label(table, diagram)))
    for edge in diagram.edges:
        colour = PALETTE["plain" if not diagram.diff_mode or edge.status == SAME else edge.status][0]
        if diagram.diff_mode and edge.status == SAME:
            colour = PALETTE[SAME][0]
        tail_row = ports[edge.table].get(edge.columns[0]) if edge.columns else None
        head_row = ports[edge.referred_table].get(edge.referred_columns[0]) if edge.referred_columns else None
        graph.add_edge(
            pydot.Edge(
                _node_id(edge.table) + (f":{tail_side}{tail_row}:{tail_compass}" if tail_row is not None else ""),
                _node_id(edge.referred_table)
                + (f":{head_side}{head_row}:{head_compass}" if head_row is not None else ""),
                arrowtail="teeodot"
                if edge.unique and edge.nullable
                else "tee"
                if edge.unique
                else "crowodot"
                if edge.nullable
                else "crow",
                arrowhead="teetee",
                # xlabel is placed after layout; a plain label makes dot lay out a node per edge,
                # which took 4.5x as long at 1000 tables (bench/: erd full).
                xlabel=html.escape(", ".join(edge.columns)),
                color=colour,
                fontcolor=colour,
                style="dashed" if edge.status == REMOVED else "solid",
            )
        )
    if diagram.diff_mode:
        rows = "".join(
            f'<TR><TD BGCOLOR="{PALETTE[s][1]}" ALIGN="LEFT"><FONT COLOR="{PALETTE[s][0]}">{label}</FONT></TD></TR>'
            for s, label in (
                (ADDED, "added"),
                (REMOVED, "<S>removed</S>"),
                (CHANGED, "changed: before → after"),
                (SAME, "unchanged"),
            )
        )
        legend = (
            '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="#8c959f">'
            f"<TR><TD><B>legend</B></TD></TR>{rows}</TABLE>>"
        )
        graph.add_node(pydot.Node('"legend"', label=legend))
    return graph
