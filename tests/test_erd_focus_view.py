"""Above a size, a diagram's notebook output is a fitted overview plus a focused view at readable size: the hub
of a plain diagram, the changed tables of a diff; a small or caller-focused diagram stays one image."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from schema_tools import erd
from schema_tools.diff import SchemaDiff, diff
from schema_tools.drawing.html import READABLE_WIDTH, is_overview, svg_size
from schema_tools.settings import load_metadata
from tests.test_erd import fk_pairs, parse
from tests.test_erd_layout import sakila, synthetic  # noqa: F401 (sakila is a fixture)
from tests.test_erd_widget import images_in, svg_of_data_uri


def relationships(metadata: sa.MetaData) -> Counter[str]:
    """Per table, the foreign keys into or out of it (a self-reference once), read from the MetaData itself."""
    counts: Counter[str] = Counter()
    for table in metadata.tables.values():
        for fk in table.foreign_key_constraints:
            counts.update({table.name, fk.referred_table.name})
    return counts


def with_neighbours(metadata: sa.MetaData, start: set[str]) -> set[str]:
    """The start tables and every table one foreign key away, either direction."""
    pairs = fk_pairs(metadata)
    return start | {p for c, p in pairs if c in start} | {c for c, p in pairs if p in start}


def drawn_tables(src: str) -> set[str]:
    """The table nodes of an image's SVG (the legend's nodes left out)."""
    nodes, _ = parse(svg_of_data_uri(src))
    return {name for name in nodes if not name.startswith("legend")}


def two_parts(markup: str) -> tuple[dict[str, str], dict[str, str]]:
    images = images_in(markup).images
    assert len(images) == 2, "an overview and a focused view"
    overview, part = images
    assert "max-height" in overview["style"] and "max-height" not in part["style"]
    assert all("max-width:100%" in image["style"] for image in images), "both fit the output's width"
    assert part["alt"].startswith("Focused view")
    return overview, part


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory) -> SchemaDiff:
    """The 64-table schema in SQLite, against models with a column added to t30 and a new table under t07."""
    url = f"sqlite:///{tmp_path_factory.mktemp('focus') / 'app.db'}"
    engine = sa.create_engine(url)
    synthetic().create_all(engine)
    engine.dispose()
    models = synthetic()
    models.tables["t30"].append_column(sa.Column("note", sa.Text))
    sa.Table(
        "audit", models, sa.Column("id", sa.Integer, primary_key=True), sa.Column("t07_id", sa.ForeignKey("t07.id"))
    )
    return diff(models, url)


def test_a_large_schema_shows_its_overview_and_the_hub_with_its_neighbours() -> None:
    metadata = synthetic()
    diagram = erd(metadata)
    assert is_overview(diagram.svg())
    markup = diagram._repr_mimebundle_()["text/html"]
    overview, part = two_parts(markup)
    assert drawn_tables(overview["src"]) == set(metadata.tables)
    counts = relationships(metadata)
    hub = min(counts, key=lambda name: (-counts[name], name))
    assert hub == "users"  # the generator points about a third of the tables at it
    assert drawn_tables(part["src"]) == with_neighbours(metadata, {hub}) != set(metadata.tables)
    width, _ = svg_size(svg_of_data_uri(part["src"]))
    assert width <= READABLE_WIDTH, "the focused view is readable when fitted"
    assert f"<code>{hub}</code>, the table with the most relationships ({counts[hub]})" in markup
    assert "erd(..., focus=&quot;users&quot;, depth=2)" in markup and "explore(...)" in markup


def test_a_tie_for_the_hub_goes_to_the_first_name(sakila: sa.MetaData) -> None:  # noqa: F811
    counts = relationships(sakila)
    top = max(counts.values())
    tied = sorted(name for name, count in counts.items() if count == top)
    assert len(tied) > 1, f"Sakila has a tie for the hub: {tied}"
    _, part = two_parts(erd(sakila)._repr_mimebundle_()["text/html"])
    assert drawn_tables(part["src"]) == with_neighbours(sakila, {tied[0]})


def test_a_diff_focuses_on_its_changed_tables(changes: SchemaDiff) -> None:
    whole = changes.erd(changed_only=False)
    assert len(whole.tables) == 65 and is_overview(whole.svg())
    markup = whole._repr_mimebundle_()["text/html"]
    _, part = two_parts(markup)
    assert drawn_tables(part["src"]) == with_neighbours(changes.desired, {"audit", "t30"})
    assert "the 2 changed tables (<code>audit</code>, <code>t30</code>)" in markup
    # By default a large diff already draws only its changed tables and their neighbours: one readable image.
    narrowed = changes.erd()._repr_mimebundle_()["text/html"]
    assert len(images_in(narrowed).images) == 1 and "Focused view" not in narrowed


def test_a_small_or_caller_focused_diagram_has_no_focused_part() -> None:
    small = erd(load_metadata())._repr_mimebundle_()["text/html"]
    assert len(images_in(small).images) == 1 and "Focused view" not in small
    metadata = synthetic()
    chosen = erd(metadata, focus="users", depth=2)
    assert is_overview(chosen.svg()), "still large, but the caller picked its part"
    assert len(images_in(chosen._repr_mimebundle_()["text/html"]).images) == 1


def test_the_output_is_byte_identical_across_renders(changes: SchemaDiff) -> None:
    assert erd(synthetic())._repr_mimebundle_() == erd(synthetic())._repr_mimebundle_()
    first = changes.erd(changed_only=False)
    again = changes.erd(changed_only=False)
    assert first._repr_mimebundle_() == again._repr_mimebundle_()
    assert first._repr_html_() == first._repr_mimebundle_()["text/html"]


def test_tables_without_foreign_keys_give_no_focused_part() -> None:
    metadata = sa.MetaData()
    for index in range(40):  # wide but unlinked: no hub to focus on
        sa.Table(f"lone{index:02d}", metadata, *(sa.Column(f"c{i}", sa.Integer) for i in range(12)))
    diagram = erd(metadata)
    assert is_overview(diagram.svg())
    markup = diagram._repr_mimebundle_()["text/html"]
    assert len(images_in(markup).images) == 1 and "explore(" in markup


def test_in_chromium_both_parts_fit_a_968_px_output_and_the_focus_is_at_natural_size() -> None:
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _require_browser

    _require_browser()
    from playwright.sync_api import sync_playwright

    markup = erd(synthetic())._repr_mimebundle_()["text/html"]
    page_html = f'<body style="margin:0"><div id="out" style="width:968px">{markup}</div></body>'
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
        page.set_content(page_html)
        page.wait_for_function("[...document.images].every((image) => image.complete && image.naturalWidth > 0)")
        boxes = page.evaluate(
            """() => [...document.images].map((image) => {
                const box = image.getBoundingClientRect();
                return {width: box.width, height: box.height, natural: image.naturalWidth};
            })"""
        )
        out = page.evaluate("() => { const o = document.getElementById('out'); return [o.scrollWidth, o.clientWidth] }")
        browser.close()
    overview, part = boxes
    assert out[0] <= out[1] == 968, "nothing overflows the output"
    assert overview["width"] <= 968 and overview["height"] <= 0.85 * VIEWPORT["height"] + 1
    assert part["natural"] <= 968 and abs(part["width"] - part["natural"]) < 1, "the focused view is at full size"
