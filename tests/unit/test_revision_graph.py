"""The revision graph helpers on a tiny script folder on disk: targets, relative steps, and migration plans."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from schema_tools.errors import RevisionError
from schema_tools.revisions import Step, ancestors, first_line, parents, plan, resolve

pytestmark = pytest.mark.unit

# a -> b -> c and b -> d, merged by m: a diamond with one head.
GRAPH = {"a": None, "b": "a", "c": "b", "d": "b", "m": ("c", "d")}


def scripts_with(tmp_path: Path, graph: dict[str, str | tuple[str, ...] | None]) -> ScriptDirectory:
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, down in graph.items():
        body = f'"""step {revision}\n\nmore words\n"""\nrevision = {revision!r}\ndown_revision = {down!r}\n'
        (versions / f"{revision}_step.py").write_text(body)
    return ScriptDirectory(str(tmp_path), version_locations=[str(versions)])


@pytest.fixture
def diamond(tmp_path: Path) -> ScriptDirectory:
    return scripts_with(tmp_path, GRAPH)


@pytest.fixture
def line(tmp_path: Path) -> ScriptDirectory:
    return scripts_with(tmp_path, {"a": None, "b": "a", "c": "b"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   \n ", ""),
        ("add bots\n\nRevision ID: x", "add bots"),
        ("\n  add bots\nmore", "add bots"),
    ],
)
def test_first_line_is_the_message_of_a_docstring(text: str | None, expected: str) -> None:
    assert first_line(text) == expected


def test_parents_are_none_one_or_several(diamond: ScriptDirectory) -> None:
    assert parents(diamond.get_revision("a")) == ()
    assert parents(diamond.get_revision("b")) == ("a",)
    assert set(parents(diamond.get_revision("m"))) == {"c", "d"}


def test_ancestors_include_the_revisions_themselves_and_everything_below(diamond: ScriptDirectory) -> None:
    assert ancestors(diamond, ["c"]) == {"a", "b", "c"}
    assert ancestors(diamond, ["m"]) == set(GRAPH)
    assert ancestors(diamond, []) == set()


@pytest.mark.parametrize(
    ("current", "target", "direction", "expected"),
    [
        ((), "head", "upgrade", ("c",)),
        (("c",), "base", "downgrade", ()),
        (("a",), "b", "upgrade", ("b",)),
        ((), "+1", "upgrade", ("a",)),
        (("a",), "+2", "upgrade", ("c",)),
        (("c",), "-1", "downgrade", ("b",)),
        (("c",), "-3", "downgrade", ()),
        (("c",), "current-1", "downgrade", ("b",)),
        ((), "head-1", "upgrade", ("b",)),
        ((), "base+1", "upgrade", ("a",)),
        ((), "b+1", "upgrade", ("c",)),
    ],
)
def test_resolve_names_the_revisions_a_target_means(
    line: ScriptDirectory, current: tuple[str, ...], target: str, direction: str, expected: tuple[str, ...]
) -> None:
    assert resolve(line, current, target, direction) == expected


@pytest.mark.parametrize(
    ("current", "target", "direction", "words"),
    [
        ((), "  ", "upgrade", "no target"),
        (("c",), "+1", "upgrade", "past the head"),
        (("a",), "-2", "downgrade", "below base"),
        (("a",), "+1", "downgrade", "downgrade takes"),
        ((), "zzz", "upgrade", "unknown revision"),
    ],
)
def test_resolve_refuses_targets_that_lead_nowhere_in_one_line(
    line: ScriptDirectory, current: tuple[str, ...], target: str, direction: str, words: str
) -> None:
    with pytest.raises(RevisionError, match=words) as raised:
        resolve(line, current, target, direction)
    assert "\n" not in str(raised.value)


def test_a_relative_step_through_a_fork_or_a_merge_is_refused(diamond: ScriptDirectory) -> None:
    with pytest.raises(RevisionError, match="ambiguous"):
        resolve(diamond, ("b",), "+1", "upgrade")  # c and d both follow b
    with pytest.raises(RevisionError, match="merge"):
        resolve(diamond, ("m",), "-1", "downgrade")


def test_an_upgrade_plan_lists_the_revisions_between_oldest_first(line: ScriptDirectory) -> None:
    heads, steps = plan(line, ("a",), "head", "upgrade")
    assert heads == ("c",)
    assert steps == [Step("b", "step b"), Step("c", "step c")]


def test_a_downgrade_plan_lists_them_newest_first(line: ScriptDirectory) -> None:
    heads, steps = plan(line, ("c",), "a", "downgrade")
    assert heads == ("a",)
    assert [step.revision for step in steps] == ["c", "b"]


def test_an_upgrade_plan_over_a_diamond_applies_both_branches_before_the_merge(diamond: ScriptDirectory) -> None:
    heads, steps = plan(diamond, ("b",), "head", "upgrade")
    order = [step.revision for step in steps]
    assert heads == ("m",)
    assert sorted(order[:2]) == ["c", "d"] and order[2] == "m"


def test_upgrading_to_a_revision_below_the_database_is_refused(line: ScriptDirectory) -> None:
    with pytest.raises(RevisionError, match="already past"):
        plan(line, ("c",), "a", "upgrade")


def test_downgrading_to_a_revision_above_the_database_is_refused(line: ScriptDirectory) -> None:
    with pytest.raises(RevisionError, match="not below"):
        plan(line, ("a",), "c", "downgrade")


def test_upgrading_to_where_the_database_is_plans_nothing(line: ScriptDirectory) -> None:
    assert plan(line, ("b",), "b", "upgrade") == (("b",), [])
