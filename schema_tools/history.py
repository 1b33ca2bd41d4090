"""history(): the revision graph with heads, branch points, merges and the database's current revision."""

from __future__ import annotations

import html
import io
from collections.abc import Collection, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pydot
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from .config import display_path, project_of
from .connect import Source, read_only_connection, sqlite_path, sync_url
from .dialects import backend_of
from .display import shorten
from .drawing.html import diagram_bundle
from .errors import ConfigurationError, GraphvizMissing, SchemaToolsError
from .graphviz import render_svg
from .revision_labels import revision_message
from .revisions import resolve
from .scripts import load_scripts
from .settings import VERSION_TABLE, alembic_config


@dataclass(frozen=True)
class RevisionNode:
    """One revision in the graph."""

    revision: str
    message: str
    down_revisions: tuple[str, ...]
    is_head: bool
    is_branch_point: bool
    is_merge: bool
    is_current: bool
    path: str

    def tags(self) -> list[str]:
        return [
            tag
            for tag, on in (
                ("head", self.is_head),
                ("current", self.is_current),
                ("branchpoint", self.is_branch_point),
                ("mergepoint", self.is_merge),
            )
            if on
        ]


@dataclass(frozen=True)
class History:
    """Every revision, newest first, like `alembic history --verbose`; an SVG graph in Jupyter."""

    nodes: tuple[RevisionNode, ...]
    heads: tuple[str, ...]
    current: tuple[str, ...] | None
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def summary(self) -> str:
        current = ", ".join(self.current) if self.current else ("(empty)" if self.current is not None else "unknown")
        return (
            f"History: {len(self.nodes)} revisions, {len(self.heads)} head{'s' * (len(self.heads) != 1)} "
            f"({', '.join(self.heads)}); database at {current}"
        )

    def __str__(self) -> str:
        blocks = [self.summary]
        for node in self.nodes:
            tags = "".join(f" ({tag})" for tag in node.tags())
            parent = ", ".join(node.down_revisions) or "<base>"
            blocks.append(f"Rev: {node.revision}{tags}\nParent: {parent}\nPath: {node.path}\n\n    {node.message}")
        return "\n\n".join(blocks)

    def __repr__(self) -> str:
        return str(self)

    def to_dot(self) -> str:
        graph = pydot.Dot(graph_type="digraph", rankdir="BT", bgcolor="white", nodesep="0.3", ranksep="0.35")
        graph.set_node_defaults(shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10",
                                fillcolor="#ffffff", color="#8c959f")  # fmt: skip
        graph.set_edge_defaults(color="#57606a", arrowsize="0.7")
        for node in reversed(self.nodes):
            fill = "#ddf4ff" if node.is_current else "#ffffff"
            border = "#0969da" if node.is_head else "#8c959f"
            tags = " · ".join(node.tags())
            label = (
                f"<<B>{html.escape(node.revision)}</B>"
                + (f' <FONT COLOR="#0969da">{html.escape(tags)}</FONT>' if tags else "")
                + f'<BR/><FONT POINT-SIZE="9">{html.escape(shorten(node.message, 60))}</FONT>>'
            )
            graph.add_node(pydot.Node(f'"{node.revision}"', label=label, fillcolor=fill, color=border,
                                      penwidth="2" if node.is_head else "1"))  # fmt: skip
        for node in reversed(self.nodes):
            for parent in node.down_revisions:
                graph.add_edge(pydot.Edge(f'"{parent}"', f'"{node.revision}"'))
        return graph.to_string()

    def svg(self) -> str:
        if "svg" not in self._cache:
            self._cache["svg"] = render_svg(self.to_dot())
        return self._cache["svg"]

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> dict[str, str]:
        # HTML with the SVG as an <img>: an untrusted notebook strips inline SVG but shows the image.
        return diagram_bundle(self.svg, self.summary)


def history(url: Source | None = None, *, config: Config | None = None) -> History:
    """The revision graph; with `url`, the database's current revision is marked (read-only)."""
    cfg = config if config is not None else alembic_config()
    script = load_scripts(cfg)
    current: tuple[str, ...] | None = None
    target = _database(url, cfg)
    if target is not None:
        with read_only_connection(target) as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            current = tuple(sorted(context.get_current_heads()))
    return _graph(script, current)


def _graph(script: ScriptDirectory, current: tuple[str, ...] | None) -> History:
    heads = tuple(sorted(script.get_heads()))
    root = Path(script.dir)
    nodes = []
    for revision in script.walk_revisions("base", "heads"):
        down = revision.down_revision
        downs = () if down is None else ((down,) if isinstance(down, str) else tuple(down))
        nodes.append(
            RevisionNode(
                revision=revision.revision,
                message=revision_message(revision),
                down_revisions=downs,
                is_head=revision.revision in heads,
                is_branch_point=revision.is_branch_point,
                is_merge=revision.is_merge_point,
                is_current=current is not None and revision.revision in current,
                path=display_path(revision.path, root.parent) if revision.path else "",
            )
        )
    return History(tuple(nodes), heads, current)


def _database(url: Source | None, config: Config) -> Source | None:
    """The database to mark: `url`, else the app's configured one when it is set and exists (else none)."""
    if url is not None:
        return url
    try:
        configured = project_of(config).database_url()
    except SchemaToolsError:
        return None
    path = sqlite_path(sync_url(configured)) if backend_of(configured).file_based else None
    return None if path is not None and not path.is_file() else configured


class Heads(tuple[str, ...]):
    """The scripts' head revisions, a plain tuple; in Jupyter, the revision graph with the heads marked."""

    _config: Config | None = None

    def __new__(cls, revisions: tuple[str, ...], config: Config | None = None) -> Heads:
        made = super().__new__(cls, revisions)
        made._config = config
        return made

    def _repr_html_(self) -> str:
        from .notebook_display import heads_html

        config = self._config
        return heads_html(self, None if config is None else lambda: _graph_svg(config))


def _graph_svg(config: Config) -> str:
    """The revision graph as SVG, or a note when Graphviz is missing (the heads line above still says it)."""
    try:
        return _graph(load_scripts(config), None).svg()
    except GraphvizMissing as error:
        return f"<div>{html.escape(str(error))}</div>"


def heads(*, config: Config | None = None) -> Heads:
    """The scripts' head revisions (a tuple)."""
    cfg = config if config is not None else alembic_config()
    return Heads(tuple(sorted(ScriptDirectory.from_config(cfg).get_heads())), cfg)


@contextmanager
def _quiet_if_asked(config: Config) -> Iterator[None]:
    """Alembic prints post-write hook progress even when quiet; keep it out of notebooks that asked for quiet."""
    if config.messaging_opts.get("quiet"):
        with redirect_stdout(io.StringIO()):
            yield
    else:
        yield


def merge(message: str = "merge heads", *, config: Config | None = None, rev_id: str | None = None) -> Path:
    """Write a merge revision joining all heads (alembic merge); refuses when there is a single head."""
    cfg = config if config is not None else alembic_config()
    current_heads = heads(config=cfg)
    if len(current_heads) < 2:
        raise ConfigurationError(f"nothing to merge: there is a single head ({', '.join(current_heads) or 'none'})")
    with _quiet_if_asked(cfg):
        script = command.merge(cfg, "heads", message=message, rev_id=rev_id)
    return _written(script)


def branch(message: str, parent: str, *, config: Config | None = None, rev_id: str | None = None) -> Path:
    """Write an empty revision on top of `parent` (an id, or relative like head-1) even when it is not a head:
    a second line of history."""
    cfg = config if config is not None else alembic_config()
    resolved = resolve(load_scripts(cfg), (), parent, "upgrade")
    if len(resolved) != 1:
        raise ConfigurationError(f"branch needs one parent revision, and {parent!r} names {len(resolved)}")
    with _quiet_if_asked(cfg):
        script = command.revision(cfg, message, head=resolved[0], splice=True, rev_id=rev_id)
    return _written(script)


def _written(script: Script | list[Script | None] | None) -> Path:
    """The file Alembic wrote (it returns a Script, or a list of them for several branches)."""
    first = script[0] if isinstance(script, list) else script
    if first is None:
        raise ConfigurationError("Alembic wrote no revision file")
    return Path(first.path)
