"""ER diagram layout and notation, measured on dot's own layout: crow's-foot ends, labels on their own edges,
fanned-out hubs, isolated tables packed aside, fewer crossings than eralchemy, Mermaid text and risk colours."""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter

import pydot
import pytest
import sqlalchemy as sa

from schema_tools.changes import Change
from schema_tools.display import badge
from schema_tools.drawing import diagram_of_changes, erd
from schema_tools.drawing.layout import Layout, distance_to, overlaps
from schema_tools.errors import ConfigurationError
from tests.test_erd import SHARED, parse


@pytest.fixture(scope="module")
def sakila(tmp_path_factory: pytest.TempPathFactory) -> sa.MetaData:
    if not SHARED.is_dir():
        pytest.skip("shared sample databases not found")
    path = tmp_path_factory.mktemp("sakila") / "sakila.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((SHARED / "sakila_sqlite.sql").read_text())
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata = sa.MetaData()
    metadata.reflect(engine)
    engine.dispose()
    return metadata


def synthetic(tables: int = 64, alone: int = 12, seed: int = 64) -> sa.MetaData:
    """A 64-table schema like a real app's: a `users` hub most tables point to, chains, and tables without FKs."""
    rng = random.Random(seed)
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)))
    names = ["users"]
    for index in range(1, tables - alone):
        targets = {"users"} if rng.random() < 0.3 else set()
        while not targets or (rng.random() < 0.35 and len(targets) < 3):
            targets.add(rng.choice(names))
        columns = [sa.Column(f"{t}_id", sa.ForeignKey(f"{t}.id"), nullable=rng.random() < 0.3) for t in sorted(targets)]
        sa.Table(f"t{index:02d}", metadata, sa.Column("id", sa.Integer, primary_key=True), *columns)
        names.append(f"t{index:02d}")
    for index in range(alone):
        sa.Table(f"z{index:02d}", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Text))
    return metadata


def dot_edges(dot: str) -> dict[tuple[str, str], list[pydot.Edge]]:
    graph = pydot.graph_from_dot_data(dot)[0]
    found: dict[tuple[str, str], list[pydot.Edge]] = {}
    for edge in graph.get_edges():
        key = (edge.get_source().split(":")[0].strip('"'), edge.get_destination().split(":")[0].strip('"'))
        found.setdefault(key, []).append(edge)
    return found


def test_the_parent_end_is_zero_or_one_for_a_nullable_fk_and_exactly_one_for_not_null(sakila: sa.MetaData) -> None:
    edges = dot_edges(erd(sakila).to_dot())
    assert sakila.tables["payment"].c.rental_id.nullable and not sakila.tables["payment"].c.customer_id.nullable
    (rental,) = edges[("payment", "rental")]
    (customer,) = edges[("payment", "customer")]
    assert rental.get("arrowhead") == "teeodot", "a payment may have no rental: zero or one at the parent"
    assert customer.get("arrowhead") == "teetee", "every payment has exactly one customer"
    assert rental.get("arrowtail") == customer.get("arrowtail") == "crowodot", "a parent has zero or many children"


def test_a_one_to_one_fk_has_zero_or_one_at_the_child_end() -> None:
    metadata = sa.MetaData()
    sa.Table("person", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "passport",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.ForeignKey("person.id"), nullable=False, unique=True),
    )
    (edge,) = dot_edges(erd(metadata).to_dot())[("passport", "person")]
    assert (edge.get("arrowtail"), edge.get("arrowhead")) == ("teeodot", "teetee")
    assert 'person ||--|o passport : "person_id"' in erd(metadata).to_mermaid()


def test_the_legend_explains_the_notation_on_request_and_by_default_in_a_diff(sakila: sa.MetaData) -> None:
    assert "cluster_legend" not in erd(sakila).to_dot()
    legend = pydot.graph_from_dot_data(erd(sakila, legend=True).to_dot())[0].get_subgraph("cluster_legend")[0]
    drawn = {e.get("arrowhead"): legend.get_node(e.get_destination())[0].get("label") for e in legend.get_edges()}
    assert set(drawn) == {"teetee", "teeodot", "crowodot"}
    assert "exactly one" in drawn["teetee"] and "zero or one" in drawn["teeodot"] and "many" in drawn["crowodot"]
    assert erd(sakila, legend=True).to_dot() == erd(sakila, legend=True).to_dot()


def test_edge_labels_sit_on_their_own_edge_and_never_on_a_table(sakila: sa.MetaData) -> None:
    plain = erd(sakila).to_dot()
    assert "xlabel" not in plain and 'label="rental_id"' not in plain, "by default the FK row names the edge"
    assert re.search(r'tooltip="[^"]*payment\(rental_id\) → rental\(rental_id\)"', plain)
    layout = Layout.of(erd(sakila, edge_labels=True).to_dot())
    labelled = [edge for edge in layout.edges if edge.label is not None]
    assert len(labelled) == len(layout.edges) == 22
    for edge in labelled:
        assert edge.label is not None
        centre = ((edge.label[0] + edge.label[2]) / 2, (edge.label[1] + edge.label[3]) / 2)
        own = distance_to(centre, edge.points)
        nearest_other = min(distance_to(centre, other.points) for other in layout.edges if other is not edge)
        assert own < nearest_other, f"{edge.label_text} ({edge.tail}->{edge.head}) is nearer another edge"
        for name, box in layout.nodes.items():
            assert not overlaps(edge.label, box), f"{edge.label_text} lies on table {name}"


def _old_routing(dot: str) -> str:
    """Every edge into its parent's PK cell from the west, as before: the routing this change replaced."""
    pk_row = {name: row for name, row in re.findall(r'-> "([^"]+)":l(\d+):w', dot)}
    return re.sub(r'-> "([^"]+)" \[', lambda m: f'-> "{m.group(1)}":l{pk_row.get(m.group(1), "0")}:w [', dot)


def _ends(layout: Layout, head: str) -> list[tuple[float, float]]:
    return [edge.points[-1] for edge in layout.edges if edge.head == head]


def _spread(points: list[tuple[float, float]]) -> float:
    return max(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 for a in points for b in points)


def test_a_hubs_edges_fan_out_and_cross_less_than_converging_on_its_pk_port() -> None:
    dot = erd(synthetic()).to_dot()
    layout, before = Layout.of(dot), Layout.of(_old_routing(dot))
    ends = _ends(layout, "users")
    assert len(ends) >= 15
    shared = Counter((round(x), round(y)) for x, y in ends).most_common(1)[0][1]
    assert shared <= 2, f"{shared} edges into the hub end at one point"
    assert _spread(_ends(before, "users")) < 10 < 50 < _spread(ends), "the old routing converged on one port"
    assert layout.crossings() < before.crossings()
    assert layout.crossings(unrelated_only=True) <= before.crossings(unrelated_only=True)
    for (child, parent), edges in dot_edges(dot).items():  # tails always leave the FK column's own row
        for edge in edges:
            if not child.startswith("legend"):
                assert re.fullmatch(r'"[^"]+":r\d+:e', edge.get_source()), (child, parent)


def test_isolated_tables_are_packed_to_one_side_and_the_overview_stays_near_square() -> None:
    layout = Layout.of(erd(synthetic()).to_dot())
    alone = [box for name, box in layout.nodes.items() if name.startswith("z")]
    linked = [box for name, box in layout.nodes.items() if name[0] in "tu"]
    assert len(alone) == 12
    group = (min(b[0] for b in alone), min(b[1] for b in alone), max(b[2] for b in alone), max(b[3] for b in alone))
    assert not any(overlaps(group, box) for box in linked), "packed together, apart from the connected tables"
    assert not any(
        distance_to(((group[0] + group[2]) / 2, (group[1] + group[3]) / 2), e.points) < 1 for e in layout.edges
    )
    assert group[3] - group[1] < layout.height / 4, "a compact grid, not one tall column"
    assert 0.5 <= layout.aspect <= 2.0, f"aspect {layout.aspect:.2f}"


def test_groups_are_drawn_as_clusters(sakila: sa.MetaData) -> None:
    groups = {"films": ["film", "film_actor", "actor"], "people": ["customer", "staff"]}
    graph = pydot.graph_from_dot_data(erd(sakila, groups=groups).to_dot())[0]
    clusters = {sub.get("label").strip('"'): sub for sub in graph.get_subgraphs()}
    assert set(clusters) == {"films", "people"}
    assert {n.get_name().strip('"') for n in clusters["films"].get_nodes()} == {"actor", "film", "film_actor"}
    with pytest.raises(ConfigurationError, match="two groups"):
        erd(sakila, groups={"a": ["film"], "b": ["film"]})


def test_fewer_unrelated_crossings_than_eralchemy_on_sakila(sakila: sa.MetaData) -> None:
    eralchemy = pytest.importorskip("eralchemy")
    theirs = Layout.of(eralchemy.render_er(sakila, None, mode="dot").decode())
    ours = Layout.of(erd(sakila).to_dot())
    assert len(theirs.edges) == len(ours.edges) == 22
    assert ours.crossings(unrelated_only=True) <= theirs.crossings(unrelated_only=True)


def test_unique_defaults_and_comments_show_on_request() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "accounts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(80), unique=True, nullable=False, comment="login name"),
        sa.Column("plan", sa.String(10), server_default="free"),
        comment="one row per customer",
    )
    plain = {text for text, _ in parse(erd(metadata).svg())[0]["accounts"]}
    shown = {
        text
        for text, _ in parse(erd(metadata, show_unique=True, show_defaults=True, show_comments=True).svg())[0][
            "accounts"
        ]
    }
    extras = {"UQ", "= free", "login name", "one row per customer"}
    assert not plain & extras
    assert extras <= shown


MERMAID_ATTRIBUTE = re.compile(  # Mermaid's erDiagram grammar: type and name tokens, keys, one quoted comment
    r' {8}[A-Za-z][\w\-()\[\]]* [A-Za-z_][\w\-()\[\]]*(?: (?:PK|FK|UK)(?:,(?:PK|FK|UK))*)?(?: "[^"]*")?'
)


def test_mermaid_carries_nullability_and_valid_type_text() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "prices",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Numeric(5, 2), nullable=False),
        sa.Column("note", sa.String(20)),
        sa.Column("kind", sa.Enum("a", "b", name="kind")),
    )
    text = erd(metadata).to_mermaid()
    attributes = [line for line in text.splitlines() if line.startswith(" " * 8)]
    assert len(attributes) == 4
    for line in attributes:
        assert MERMAID_ATTRIBUTE.fullmatch(line), line
    assert '        NUMERIC(5_2) amount "NOT NULL"' in attributes
    assert '        VARCHAR(20) note "NULL"' in attributes
    assert "__" not in text


def test_risk_colours_on_the_diagram_are_the_diff_tables() -> None:
    desired, current = sa.MetaData(), sa.MetaData()
    for metadata in (desired, current):
        sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("old", sa.Text))
    for name in ("fine", "must"):
        desired.tables["t"].append_column(sa.Column(name, sa.Integer, nullable=name == "fine"))
    changes = (
        Change("add_column", "t", "fine", risk="safe"),
        Change("add_column", "t", "must", after="NOT NULL", risk="may-fail"),
        Change("remove_column", "t", "old", risk="data-loss"),
    )
    drawn = erd(diagram_of_changes(changes, desired, current, "db -> models"))
    fills = {text: fill for text, fill in parse(drawn.svg())[0]["t"]}
    for change in changes:
        colour = re.search(r"color:(#[0-9a-f]{6})", badge(change.risk))
        assert colour is not None and fills[change.name] == colour.group(1), change.name
    assert fills["t"] == re.search(r"color:(#[0-9a-f]{6})", badge("data-loss")).group(1), "the worst risk"
    legend = {text: fill for text, fill in parse(drawn.svg())[0]["legend"]}
    for risk, label in (("safe", "safe"), ("may-fail", "may fail"), ("data-loss", "data loss")):
        assert legend[label] == re.search(r"color:(#[0-9a-f]{6})", badge(risk)).group(1)
