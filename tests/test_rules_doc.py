"""README's rule table is the registry's: generated, never edited by hand, and every rule is in it once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schema_tools.rules.catalog import rules_table
from schema_tools.rules.engine import RULES

pytestmark = pytest.mark.unit
README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_table_is_generated_from_the_registry() -> None:
    block = re.search(r"<!-- rules-table -->\n(.*?)\n<!-- /rules-table -->", README.read_text(encoding="utf-8"), re.S)
    assert block is not None, "README.md lost its rules-table block"
    assert block.group(1) == rules_table(), "README's rule table is stale: run `make rules-table`"


def test_every_rule_is_documented_once_with_a_fix() -> None:
    table = rules_table()
    ids = [spec.id for spec in RULES]
    assert len(ids) == len(set(ids)), "two rules share an id"
    for spec in RULES:
        assert table.count(f"| `{spec.id}` |") == 1, spec.id
        assert " Fix: " in spec.summary, f"{spec.id}'s docstring says no fix"
