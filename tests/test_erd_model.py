"""The drawing pipeline's parts: a diff's Diagram comes from Change records alone, the drawing package does
not import the diff, and a History or a diagram still shows in Jupyter when Graphviz's dot is missing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from IPython.core.formatters import DisplayFormatter

from schema_tools.changes import Change
from schema_tools.drawing import ADDED, CHANGED, REMOVED, SAME, Diagram, diagram_of_changes, erd
from schema_tools.history import history

DRAWING = Path(__file__).resolve().parent.parent / "schema_tools" / "drawing"


def _schemas() -> tuple[sa.MetaData, sa.MetaData]:
    desired, current = sa.MetaData(), sa.MetaData()
    for metadata in (desired, current):
        sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table(
        "child",
        desired,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.ForeignKey("parent.id")),
        sa.Column("code", sa.String(20)),
        sa.UniqueConstraint("code"),  # unnamed: a diff can only name it by its columns
    )
    sa.Index("by parent id", child.c.parent_id)  # a name with spaces, once misread by parsing the drawn text
    sa.Table(
        "child",
        current,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer),
        sa.Column("code", sa.String(10)),
        sa.Column("legacy", sa.Text),
    )
    sa.Table("gone", current, sa.Column("id", sa.Integer, primary_key=True))
    return desired, current


def test_a_diff_diagram_is_built_from_change_records_only() -> None:
    desired, current = _schemas()
    changes = (
        Change("remove_table", "gone", "gone"),
        Change("remove_column", "child", "legacy", columns=("legacy",)),
        Change("modify_type", "child", "code", "VARCHAR(10)", "VARCHAR(20)", ("code",)),
        Change("add_index", "child", "by parent id", columns=("parent_id",)),
        Change("add_constraint", "child", None, columns=("code",)),
        Change("add_fk", "child", None, columns=("parent_id",)),
    )
    diagram = diagram_of_changes(changes, desired, current, "db -> models")
    assert diagram.diff_mode and diagram.changed == {"gone", "child"}
    tables = {table.name: table for table in diagram.tables}
    assert tables["gone"].status == REMOVED and tables["parent"].status == SAME
    child = tables["child"]
    assert child.status == CHANGED
    assert [(c.name, c.status) for c in child.columns] == [
        ("id", SAME),
        ("parent_id", SAME),
        ("code", CHANGED),
        ("legacy", REMOVED),
    ]
    assert child.columns[2].before == "VARCHAR(10) → VARCHAR(20)"
    assert {(index.name, index.status) for index in child.indexes} == {("by parent id", ADDED), (None, ADDED)}
    assert [(edge.table, edge.referred_table, edge.status) for edge in diagram.edges] == [("child", "parent", ADDED)]
    drawn = erd(diagram)
    assert drawn.summary == "ER diagram: 3 tables, 1 relationship; -1 table, -1 column, ~1 column"
    assert drawn.show_indexes and "<S>" in drawn.to_dot()


def test_erd_takes_a_diagram_and_narrows_it_without_changing_it() -> None:
    desired, _ = _schemas()
    whole = erd(desired)
    model = Diagram(whole.title, whole.tables, whole.edges)
    assert erd(model, focus="parent", depth=0).table_names == ("parent",)
    assert erd(model).to_dot() == whole.to_dot()
    assert model.table_names == ("child", "parent")


def test_the_drawing_package_does_not_import_the_diff() -> None:
    for path in DRAWING.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert module not in ("..diff", "schema_tools.diff"), path.name
                assert not (module == ".." and any(alias.name == "diff" for alias in node.names)), path.name


def test_without_dot_a_history_and_a_diagram_still_display_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = history()
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no Graphviz
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith(graph.summary) and "apt-get install graphviz" in bundle["text/plain"]
    data, _ = DisplayFormatter().format(graph)  # what Jupyter does with it: no exception, text shown
    assert "image/svg+xml" not in data and data["text/plain"].startswith("History: ")
    desired, _ = _schemas()
    data, _ = DisplayFormatter().format(erd(desired))
    assert "image/svg+xml" not in data and "apt-get install graphviz" in data["text/plain"]
