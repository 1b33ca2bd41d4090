"""orm_diagram(): the mapped classes as UML (sqlalchemy-schemadisplay's boxes), relationships and inheritance."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydot
import sqlalchemy as sa
from sqlalchemy.orm import Mapper, RelationshipProperty

from ..errors import ConfigurationError
from ..graphviz import render, render_svg
from .dot import RANKDIRS
from .files import Formats, save
from .html import diagram_bundle, diagram_html
from .palette import FONT

_LINE = "#57606a"
_LEFT = '<BR ALIGN="LEFT"/>'


@dataclass(frozen=True)
class Association:
    """One relationship() as drawn: `source.key` reaches `target`; a back_populates pair is one line, two names."""

    source: str
    key: str
    target: str
    many: bool
    back_populates: str | None = None

    def __str__(self) -> str:
        back = f" <-> {self.target}.{self.back_populates}" if self.back_populates else f" -> {self.target}"
        return f"{self.source}.{self.key}{back}"


@dataclass(frozen=True)
class ORMDiagram:
    """The ORM view: shows as SVG in Jupyter, saves as .svg/.png/.dot. The table diagram is erd()."""

    classes: tuple[str, ...]
    tables: tuple[str, ...]  # each class's table, in the order of `classes`
    associations: tuple[Association, ...]
    inheritance: tuple[tuple[str, str], ...]  # (parent, child)
    dot_source: str = field(repr=False)
    _svg_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def summary(self) -> str:
        """A stable one-line description: the text/plain form of the diagram."""
        counts = ((len(self.classes), "class", "es"), (len(self.associations), "relationship", "s"))
        text = ", ".join(f"{n} {word}{plural * (n != 1)}" for n, word, plural in counts)
        n = len(self.inheritance)
        return f"ORM diagram: {text}, {n} inheritance edge{'s' * (n != 1)}"

    def __repr__(self) -> str:
        return f"<ORMDiagram {self.summary}>"

    def to_dot(self) -> str:
        """Graphviz DOT source, classes and edges in name order."""
        return self.dot_source

    def svg(self) -> str:
        """The diagram as SVG text, byte-identical for the same mappers."""
        if "svg" not in self._svg_cache:
            self._svg_cache["svg"] = render_svg(self.dot_source)
        return self._svg_cache["svg"]

    def png(self) -> bytes:
        return render(self.dot_source, "png")

    def _repr_html_(self) -> str:
        return diagram_html(self.svg(), self.summary)

    def _repr_mimebundle_(
        self, include: Collection[str] | None = None, exclude: Collection[str] | None = None
    ) -> dict[str, str]:
        # JupyterLab shows the HTML (fitted, and kept in an untrusted notebook); nbconvert and others take the SVG.
        return diagram_bundle(self.svg, self.summary)

    def save(self, path: str | Path) -> Path:
        """Write .svg, .png or .dot, chosen by the file's suffix."""
        formats: Formats = {(".svg",): self.svg, (".png",): self.png, (".dot", ".gv"): self.to_dot}
        return save(path, formats, "an ORM diagram")


def _mappers_of(source: Any) -> list[Mapper[Any]]:
    """The mappers of a declarative Base, a registry, mapped classes or mappers."""
    if isinstance(source, sa.MetaData):
        raise ConfigurationError(
            "orm_diagram() needs the declarative Base or its classes, not a MetaData: erd() draws tables"
        )
    if isinstance(source, Mapper):
        return [source]
    if isinstance(source, type) and hasattr(source, "__mapper__"):
        return [source.__mapper__]
    registry = getattr(source, "registry", source)
    if isinstance(registry, sa.orm.registry):
        return list(registry.mappers)
    if isinstance(source, Iterable) and not isinstance(source, str):
        return [mapper for item in source for mapper in _mappers_of(item)]
    raise ConfigurationError(
        f"orm_diagram() takes a declarative Base, a registry, mapped classes or mappers, not {type(source).__name__}"
    )


def _chosen(source: Any, classes: Iterable[str] | None) -> list[Mapper[Any]]:
    """The mappers to draw, configured, one per class name, in name order."""
    by_name: dict[str, Mapper[Any]] = {}
    for mapper in _mappers_of(source):
        name = mapper.class_.__name__
        if by_name.setdefault(name, mapper) is not mapper:
            other = by_name[name].class_
            raise ConfigurationError(
                f"two mapped classes are named {name} ({other.__module__} and {mapper.class_.__module__}): "
                "pass the classes of one of them"
            )
    if classes is not None:
        wanted = set(classes)
        if unknown := sorted(wanted - by_name.keys()):
            raise ConfigurationError(
                f"no mapped class named {', '.join(unknown)}: the classes are {', '.join(sorted(by_name))}"
            )
        by_name = {name: mapper for name, mapper in by_name.items() if name in wanted}
    mappers = [by_name[name] for name in sorted(by_name)]
    for registry in {id(mapper.registry): mapper.registry for mapper in mappers}.values():
        try:
            registry.configure()
        except sa.exc.SQLAlchemyError as error:
            raise ConfigurationError(f"the mapped classes do not configure: {str(error).splitlines()[0]}") from None
    return mappers


def _associations(mappers: list[Mapper[Any]]) -> tuple[Association, ...]:
    """Every relationship() between drawn classes; a back_populates (or backref) pair becomes one Association."""
    drawn = set(mappers)
    found: list[RelationshipProperty[Any]] = [
        rel for mapper in mappers for rel in mapper.relationships if rel.parent is mapper and rel.mapper in drawn
    ]
    seen: set[int] = set()
    result = []
    for rel in found:
        if id(rel) in seen:
            continue
        partner = next((other for other in found if id(other) not in seen and _paired(rel, other)), None)
        seen.update({id(rel), id(partner)})
        result.append(
            Association(
                rel.parent.class_.__name__,
                rel.key,
                rel.mapper.class_.__name__,
                bool(rel.uselist),
                partner.key if partner else None,
            )
        )
    return tuple(sorted(result, key=lambda a: (a.source, a.key)))


def _paired(rel: RelationshipProperty[Any], other: RelationshipProperty[Any]) -> bool:
    if other is rel or other.parent is not rel.mapper or other.mapper is not rel.parent:
        return False
    return rel.back_populates == other.key or other.back_populates == rel.key


def _quoted(name: str) -> str:
    return f'"{name}"'


def _labels(uml: pydot.Dot) -> dict[tuple[str, str], str]:
    """The library's end label ("+key multiplicity") of each (class, relationship key) it drew."""
    labels: dict[tuple[str, str], str] = {}
    for edge in uml.get_edges():
        for owner, attribute in ((edge.get_source(), "headlabel"), (edge.get_destination(), "taillabel")):
            text = str(edge.get(attribute) or "").strip('"')
            if text.startswith("+"):
                labels[(str(owner).strip('"'), text[1:].split(" ", 1)[0])] = text
    return labels


def _edge(association: Association, labels: dict[tuple[str, str], str]) -> pydot.Edge:
    head = labels.get((association.source, association.key), f"+{association.key}")
    ends: dict[str, Any] = {"dir": "forward", "arrowhead": "vee", "headlabel": head}
    if association.back_populates is not None:
        tail = labels.get((association.target, association.back_populates), f"+{association.back_populates}")
        ends = {"dir": "none", "headlabel": head, "taillabel": tail}
    return pydot.Edge(_quoted(association.source), _quoted(association.target), tooltip=str(association), **ends)


def _graph(
    uml: pydot.Dot, associations: tuple[Association, ...], inheritance: tuple[tuple[str, str], ...], rankdir: str
) -> str:
    """The library's class boxes, with the edges rebuilt in name order for Graphviz's dot (not its neato setup)."""
    graph = pydot.Dot("orm", graph_type="digraph", rankdir=rankdir, bgcolor="white", nodesep="0.6", ranksep="0.9")
    graph.set_node_defaults(fontname=FONT)
    graph.set_edge_defaults(
        fontname=FONT, fontsize="9", color=_LINE, fontcolor=_LINE, labeldistance="2", penwidth="1.1"
    )
    for node in sorted(uml.get_nodes(), key=lambda node: str(node.get_name())):
        attributes = node.get_attributes()
        # Its attribute list left-aligns every line but the last: end that one with a left break too.
        label = str(attributes.get("label", ""))
        if _LEFT in label:
            label = label.replace("</TD></TR></TABLE>>", _LEFT + "</TD></TR></TABLE>>")
        graph.add_node(pydot.Node(node.get_name(), **{**attributes, "label": label, "fontname": FONT}))
    for parent, child in inheritance:
        graph.add_edge(
            pydot.Edge(
                _quoted(parent),
                _quoted(child),
                dir="back",
                arrowtail="empty",
                arrowhead="none",
                tooltip=f"{child} inherits {parent}",
            )
        )
    labels = _labels(uml)
    for association in associations:
        graph.add_edge(_edge(association, labels))
    return str(graph.to_string())


def orm_diagram(
    source: Any,
    *,
    classes: Iterable[str] | None = None,
    show_attributes: bool = True,
    show_datatypes: bool = True,
    rankdir: str = "TB",
) -> ORMDiagram:
    """The mapped classes of `source` (a declarative Base, a registry, classes or mappers) as a UML diagram.

    It shows what erd() cannot: each relationship() by name and direction (an arrow), a back_populates or backref
    pair as one line named at both ends, multiplicity, and inheritance (a hollow arrow to the parent). The class
    boxes are sqlalchemy-schemadisplay's create_uml_graph; its edges are rebuilt so that both sides of a pair
    join up under SQLAlchemy 2 and the output is in name order. `classes` keeps only the named classes.
    """
    if rankdir not in RANKDIRS:
        raise ConfigurationError(f"rankdir must be LR, RL, TB or BT, not {rankdir!r}")
    from sqlalchemy_schemadisplay import create_uml_graph  # it imports PIL: load it only when drawing

    mappers = _chosen(source, classes)
    names = {mapper.class_.__name__ for mapper in mappers}
    # show_operations stays off: its argument listing uses Python 2's func_code and fails on any method.
    uml = create_uml_graph(
        mappers,
        show_operations=False,
        show_attributes=show_attributes,
        show_inherited=True,  # its own-columns filter keeps the parent's table under joined inheritance
        show_multiplicity_one=True,
        show_datatypes=show_datatypes,
        font=FONT,
    )
    inheritance = tuple(
        (mapper.inherits.class_.__name__, mapper.class_.__name__)
        for mapper in mappers
        if mapper.inherits is not None and mapper.inherits.class_.__name__ in names
    )
    associations = _associations(mappers)
    return ORMDiagram(
        classes=tuple(mapper.class_.__name__ for mapper in mappers),
        tables=tuple(str(getattr(mapper.local_table, "name", "")) for mapper in mappers),
        associations=associations,
        inheritance=inheritance,
        dot_source=_graph(uml, associations, inheritance, rankdir),
    )
