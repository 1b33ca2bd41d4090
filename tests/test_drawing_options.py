"""Each drawing option is listed once and every list agrees: erd()'s signature, ErdOptions, the explorer's options,
Style and ERDiagram; both kinds of diagram save through one writer that names the formats it offers."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from schema_tools import ConfigurationError, erd, explore, orm_diagram
from schema_tools.drawing.dot import Style
from schema_tools.drawing.draw import ERDiagram, ErdOptions, ExploreOptions
from schema_tools.settings import load_metadata
from tests.test_orm_view import Company


def keyword_defaults(function: object) -> dict[str, object]:
    parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    return {p.name: p.default for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_erd_options_are_erds_keywords_and_the_explorer_passes_on_the_rest() -> None:
    erd_keywords = keyword_defaults(erd)
    assert set(ErdOptions.__annotations__) == set(erd_keywords)
    controls = set(keyword_defaults(explore))  # the explorer's own controls: focus, depth, types, indexes
    assert controls | set(ExploreOptions.__annotations__) == set(erd_keywords) - {"tables", "exclude"}
    assert not controls & set(ExploreOptions.__annotations__)


def test_every_style_option_is_a_diagram_field_and_an_erd_keyword_with_one_default() -> None:
    diagram_defaults = {f.name: f.default for f in fields(ERDiagram)}
    erd_keywords = keyword_defaults(erd)
    for option in fields(Style):
        assert diagram_defaults[option.name] == option.default, option.name
        if option.name != "groups":  # erd() takes a mapping and turns it into Style's tuple
            assert erd_keywords[option.name] == option.default, option.name


def test_the_diagram_draws_with_the_options_it_was_given() -> None:
    chosen = {"show_types": False, "rankdir": "TB", "show_unique": True, "edge_labels": True, "legend": True}
    style = erd(load_metadata(), **chosen).style  # type: ignore[arg-type]
    assert {name: getattr(style, name) for name in chosen} == chosen


def test_each_kind_of_diagram_saves_the_formats_it_offers(tmp_path: Path) -> None:
    er = erd(load_metadata(), focus="bots")
    assert er.save(tmp_path / "a.gv").read_text() == er.to_dot()
    assert er.save(tmp_path / "a.mermaid").read_text() == er.to_mermaid()
    with pytest.raises(ConfigurationError, match=r"an ER diagram as \.txt: use \.svg, \.png, \.dot or \.mmd"):
        er.save(tmp_path / "a.txt")
    orm = orm_diagram(Company)
    with pytest.raises(ConfigurationError, match=r"an ORM diagram as \.mmd: use \.svg, \.png or \.dot"):
        orm.save(tmp_path / "b.mmd")
    assert orm.save(tmp_path / "b.SVG").read_text() == orm.svg()
    with pytest.raises(ConfigurationError, match="a file without suffix"):
        orm.save(tmp_path / "b")
