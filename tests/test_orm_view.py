"""orm_diagram(): relationship names, directions, back_populates pairs and inheritance in the DOT, stable SVG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pydot
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from management_server.models import Base as AppBase
from schema_tools import ConfigurationError, ORMDiagram, orm_diagram

# pydot reads the DOT back with pyparsing, which warns about its own old method names.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Company(DeclarativeBase):
    pass


project_members = sa.Table(
    "project_members",
    Company.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("employee_id", sa.ForeignKey("employees.id"), primary_key=True),
)


class Department(Company):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)


class Employee(Company):
    __tablename__ = "employees"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    department: Mapped[Department | None] = relationship()  # one direction only
    projects: Mapped[list[Project]] = relationship(secondary=project_members, back_populates="members")
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "employee"}


class Engineer(Employee):  # joined-table inheritance
    __tablename__ = "engineers"
    id: Mapped[int] = mapped_column(sa.ForeignKey("employees.id"), primary_key=True)
    language: Mapped[str | None] = mapped_column(sa.String(30))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class Manager(Employee):  # single-table inheritance: no table of its own
    reports: Mapped[int | None] = mapped_column(nullable=True)
    __mapper_args__ = {"polymorphic_identity": "manager"}


class Project(Company):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    members: Mapped[list[Employee]] = relationship(secondary=project_members, back_populates="projects")


class Room(Company):
    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    department: Mapped[Department] = relationship(backref="rooms")


def edges_of(diagram: ORMDiagram) -> dict[tuple[str, str], dict[str, str]]:
    """The DOT's edges as {(from, to): attributes}, read back with pydot."""
    (graph,) = pydot.graph_from_dot_data(diagram.to_dot())
    return {
        (edge.get_source().strip('"'), edge.get_destination().strip('"')): {
            key: str(value).strip('"') for key, value in edge.get_attributes().items()
        }
        for edge in graph.get_edges()
    }


def test_every_relationship_of_the_app_is_named_in_the_dot_once_per_pair() -> None:
    diagram = orm_diagram(AppBase)
    relationships = {
        (mapper.class_.__name__, rel.key): rel.back_populates
        for mapper in AppBase.registry.mappers
        for rel in mapper.relationships
    }
    labels = [
        label.split(" ")[0].lstrip("+")
        for attributes in edges_of(diagram).values()
        for label in (attributes.get("headlabel"), attributes.get("taillabel"))
        if label
    ]
    assert sorted(labels) == sorted(key for _, key in relationships)
    # Each back_populates pair is one undirected line, not two arrows.
    assert len(edges_of(diagram)) == len(relationships) // 2
    assert all(attributes["dir"] == "none" for attributes in edges_of(diagram).values())
    assert set(diagram.classes) == {mapper.class_.__name__ for mapper in AppBase.registry.mappers}
    assert {str(a) for a in diagram.associations} >= {"Bot.owner <-> User.bots", "Strategy.author <-> User.strategies"}


def test_inheritance_many_to_many_one_way_and_backref_are_drawn_as_such() -> None:
    diagram = orm_diagram(Company)
    edges = edges_of(diagram)
    for child in ("Engineer", "Manager"):
        assert edges[("Employee", child)]["arrowtail"] == "empty"  # a hollow arrow at the parent
        assert edges[("Employee", child)]["dir"] == "back"
    assert set(diagram.inheritance) == {("Employee", "Engineer"), ("Employee", "Manager")}
    many = edges[("Employee", "Project")]
    assert (many["dir"], many["headlabel"], many["taillabel"]) == ("none", "+projects *", "+members *")
    one_way = edges[("Employee", "Department")]
    assert (one_way["dir"], one_way["arrowhead"], one_way["headlabel"]) == ("forward", "vee", "+department 0..1")
    backref = edges[("Department", "Room")]  # the backref side is paired with the relationship that made it
    assert {backref["headlabel"].split()[0], backref["taillabel"].split()[0]} == {"+rooms", "+department"}
    assert ("Project", "Employee") not in edges and ("Room", "Department") not in edges
    assert dict(zip(diagram.classes, diagram.tables, strict=True))["Manager"] == "employees"


def test_classes_keeps_the_named_classes_and_their_edges_only() -> None:
    diagram = orm_diagram(Company, classes=["Employee", "Engineer"])
    assert diagram.classes == ("Employee", "Engineer")
    assert set(edges_of(diagram)) == {("Employee", "Engineer")}
    with pytest.raises(ConfigurationError, match="no mapped class named Nope"):
        orm_diagram(Company, classes=["Nope"])


def test_a_metadata_is_refused_with_a_pointer_to_erd() -> None:
    with pytest.raises(ConfigurationError, match="erd"):
        orm_diagram(Company.metadata)


def test_mapped_classes_or_mappers_are_accepted_like_the_base() -> None:
    by_classes = orm_diagram([Employee, Project, Department])
    assert by_classes.classes == ("Department", "Employee", "Project")
    assert by_classes.to_dot() == orm_diagram([sa.inspect(c) for c in (Project, Department, Employee)]).to_dot()


_RENDER = (
    "from management_server.models import Base; from schema_tools import orm_diagram; print(orm_diagram(Base).svg())"
)


def test_svg_is_identical_across_processes_and_carries_no_addresses() -> None:
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _RENDER],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    svg = outputs.pop()
    assert "<svg" in svg and "0x" not in svg and "Generated by graphviz" not in svg


def test_saves_svg_png_and_dot_and_shows_in_jupyter(tmp_path: Path) -> None:
    diagram = orm_diagram(Company)
    assert diagram.save(tmp_path / "c.svg").read_text() == diagram.svg()
    assert diagram.save(tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    assert diagram.save(tmp_path / "c.dot").read_text() == diagram.to_dot()
    with pytest.raises(ConfigurationError, match=r"\.svg, \.png or \.dot"):
        diagram.save(tmp_path / "c.txt")
    bundle = diagram._repr_mimebundle_()
    assert bundle["image/svg+xml"] == diagram.svg()
    assert "<img" in bundle["text/html"]
    assert bundle["text/plain"] == "ORM diagram: 6 classes, 3 relationships, 2 inheritance edges"
