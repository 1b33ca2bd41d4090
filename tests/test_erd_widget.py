"""Diagrams in notebooks: fitted HTML with an image fallback, the zoom/search widget and the schema explorer."""

from __future__ import annotations

import configparser
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat
import sqlalchemy as sa

from schema_tools import erd, explore
from schema_tools.diff import diff
from schema_tools.drawing.explorer import after_view
from schema_tools.drawing.html import svg_size
from schema_tools.drawing.widget import WIDGET_VIEW, DiagramWidget
from schema_tools.scratch import upgraded_database
from schema_tools.settings import load_metadata
from schema_tools.sources import copy_metadata
from scripts.run_notebooks import strip_widget_views
from tests.test_erd import parse

ROOT = Path(__file__).resolve().parent.parent


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.svg_tags = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append({k: v or "" for k, v in attrs})
        self.svg_tags += tag == "svg"


def images_in(markup: str) -> _Images:
    parser = _Images()
    parser.feed(markup)
    return parser


def svg_of_data_uri(src: str) -> str:
    head, _, body = src.partition(",")
    assert head == "data:image/svg+xml;charset=utf-8"
    return unquote(body)


def nbval_sanitized(text: str) -> str:
    config = configparser.ConfigParser()
    config.read(ROOT / "notebooks" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def a_diff() -> object:
    models = copy_metadata()
    models.tables["bots"].append_column(sa.Column("region", sa.String(20)))
    models.remove(models.tables["hyperopt_results"])
    return diff(models, upgraded_database())


def test_a_diagram_shows_as_fitted_html_whose_image_is_the_svg_itself() -> None:
    diagram = erd(load_metadata())
    bundle = diagram._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    found = images_in(bundle["text/html"])
    # An <img>, never inline <svg>: JupyterLab strips <svg> from an untrusted notebook's HTML but keeps images.
    assert found.svg_tags == 0 and len(found.images) == 1
    image = found.images[0]
    assert "max-width:100%" in image["style"] and "height:auto" in image["style"]
    assert "max-height" not in image["style"]  # seven tables: fitted to the width, not shrunk to an overview
    svg = bundle["image/svg+xml"]
    assert svg_of_data_uri(image["src"]) == svg[svg.index("<svg") :]
    assert image["alt"] == diagram.summary == bundle["text/plain"]


def test_diagram_html_is_byte_stable_and_nbval_masks_its_layout() -> None:
    first, again = erd(load_metadata())._repr_mimebundle_(), erd(load_metadata())._repr_mimebundle_()
    assert first == again
    focused = erd(load_metadata(), focus="bots")._repr_mimebundle_()
    # Another Graphviz build lays the diagram out differently: the sanitizer hides the layout in both outputs,
    # so only the summary (in alt) tells two diagrams apart.
    masked = nbval_sanitized(first["text/html"])
    assert "points=" not in masked and "GRAPHVIZ-SVG" in masked
    assert nbval_sanitized(focused["text/html"]).replace(focused["text/plain"], first["text/plain"]) == masked


def test_a_tall_schema_is_drawn_as_an_overview_capped_in_height() -> None:
    metadata = sa.MetaData()
    sa.Table("hub", metadata, sa.Column("id", sa.Integer, primary_key=True))
    for i in range(24):  # two dozen children of one table stack into one tall column
        sa.Table(f"t{i:02d}", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("hub_id", sa.Integer))
        metadata.tables[f"t{i:02d}"].append_constraint(sa.ForeignKeyConstraint(["hub_id"], ["hub.id"]))
    tall = erd(metadata)
    width, height = svg_size(tall.svg())
    assert height > 5 * width
    markup = tall._repr_mimebundle_()["text/html"]
    assert "max-height:85vh" in images_in(markup).images[0]["style"] and "explore(" in markup
    small = erd(metadata, tables=["hub", "t00"])._repr_mimebundle_()["text/html"]
    assert "max-height" not in small and "explore(" not in small


def test_the_widget_carries_the_diagram_and_its_static_image() -> None:
    diagram = erd(load_metadata(), focus="bots")
    widget = DiagramWidget(diagram)
    assert widget.tables == list(diagram.table_names)
    assert widget.svg.startswith("<svg") and set(parse(widget.svg)[0]) >= set(diagram.table_names)
    bundle, _ = widget._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == widget.model_id
    static = diagram._repr_mimebundle_()
    assert {key: bundle[key] for key in static} == static


def test_the_explorer_redraws_for_its_controls_and_a_click_focuses() -> None:
    models = load_metadata()
    explorer = explore(models)
    assert set(explorer.canvas.tables) == set(models.tables)
    assert explorer.depth.disabled  # no focus yet
    explorer.canvas.selected = "bots"  # what a click on the table sends from the browser
    assert explorer.table.value == "bots" and not explorer.depth.disabled
    assert set(explorer.canvas.tables) == set(erd(models, focus="bots", depth=1).table_names)
    assert len(explorer.canvas.tables) < len(models.tables)
    bundle = explorer._repr_mimebundle_()  # the static fallback is the diagram now shown, beside the live view
    assert WIDGET_VIEW in bundle and bundle["text/html"] == erd(models, focus="bots")._repr_mimebundle_()["text/html"]
    explorer.depth.value = 2
    assert set(explorer.canvas.tables) == set(erd(models, focus="bots", depth=2).table_names)
    explorer.table.value = ""
    assert explorer.canvas.selected == "" and len(explorer.canvas.tables) == len(models.tables)
    explorer.canvas.selected = "bots"  # the same table clicked again, after "all tables"
    assert explorer.table.value == "bots"
    explorer.table.value = ""
    assert "INTEGER" in explorer.canvas.svg
    explorer.types.value = False
    assert "INTEGER" not in explorer.canvas.svg
    index = next(ix.name for table in models.tables.values() for ix in table.indexes if ix.name)
    assert index not in explorer.canvas.svg
    explorer.indexes.value = True
    assert index in explorer.canvas.svg


def test_the_diff_overlay_turns_off_to_the_schema_after_the_migration() -> None:
    changes = a_diff()
    explorer = explore(changes)
    assert explorer.canvas.diagram.diff_mode and "hyperopt_results" in explorer.canvas.tables
    assert explorer.indexes.disabled  # a diff always shows its indexes
    explorer.overlay.value = False
    after = explorer.canvas.diagram
    assert not after.diff_mode and "hyperopt_results" not in after.table_names
    nodes, _ = parse(explorer.canvas.svg)
    assert "region" in {text for text, _ in nodes["bots"]}
    assert not after.counts() or not any(after.counts().values())
    plain = after_view(changes.diagram())  # type: ignore[attr-defined]
    assert all(column.status == "same" for table in plain.tables for column in table.columns)


def test_stored_notebooks_keep_the_static_diagram_and_drop_widget_state() -> None:
    notebook = nbformat.v4.new_notebook()
    bundle, _ = DiagramWidget(erd(load_metadata(), focus="bots"))._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell("explore(models)")
    cell.outputs = [nbformat.v4.new_output("execute_result", data=bundle, execution_count=1)]
    notebook.cells.append(cell)
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    strip_widget_views(notebook)
    assert "widgets" not in notebook.metadata
    assert set(notebook.cells[0].outputs[0]["data"]) == {"text/html", "image/svg+xml", "text/plain"}
