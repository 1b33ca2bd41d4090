"""Views without a database: one spelling of a definition, what it reads, the ops' reverses and renderings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.operations import ops

from schema_tools.changes import change_from_diff
from schema_tools.dialects import backend_named
from schema_tools.dialects.base_views import normalized, parsed_usage
from schema_tools.rules.catalog import judge
from schema_tools.rules.engine import RuleContext, worst
from schema_tools.rules.operations import subjects_of_ops
from schema_tools.view_ops import CreateViewOp, DropViewOp, ReplaceViewOp
from schema_tools.views import declared_views, view

pytestmark = pytest.mark.unit

MODEL = "SELECT bots.id, bots.name  FROM bots  WHERE bots.active = true AND bots.name != 'x'"
# What each server reported for MODEL (PostgreSQL 15's pg_get_viewdef, MariaDB 10.11's information_schema).
REPORTED = {
    "postgresql": " SELECT bots.id,\n    bots.name\n   FROM bots\n  WHERE ((bots.active = true) AND "
    "((bots.name)::text <> 'x'::text));",
    "mysql": "select `test`.`bots`.`id` AS `id`,`bots`.`name` AS `name` from `test`.`bots` "
    "where `bots`.`active` = 1 and `bots`.`name` <> 'x'",
}


@pytest.mark.parametrize("backend", sorted(REPORTED))
def test_a_respelled_definition_reads_as_the_models(backend: str) -> None:
    assert normalized(REPORTED[backend], ["public", "test"]) == normalized(MODEL, ["public", "test"])


def test_in_lists_joins_and_counts_read_as_the_models() -> None:
    assert normalized("SELECT t.a FROM t WHERE t.a IN ('a', 'b')") == normalized(
        "SELECT t.a FROM t WHERE ((t.a)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"
    )
    assert normalized("SELECT count(*) AS n FROM a INNER JOIN b ON a.id = b.a_id") == normalized(
        "select count(0) AS `n` from (`a` join `b` on(`a`.`id` = `b`.`a_id`))"
    )


def test_a_real_change_still_differs_and_literals_keep_their_case() -> None:
    assert normalized(MODEL) != normalized(MODEL.replace("'x'", "'X'"))
    assert normalized("SELECT a.id FROM a JOIN b ON a.id = b.id") != normalized(
        "SELECT b.id FROM a JOIN b ON a.id = b.id"
    )


def test_what_a_definition_reads_is_parsed_against_the_tables() -> None:
    used = parsed_usage("SELECT bots.id, name FROM bots", {"bots": ["id", "name", "active"], "users": ["id"]})
    assert used == {("bots", None), ("bots", "id"), ("bots", "name")}


def test_declarations_travel_with_the_metadata() -> None:
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True))
    view(metadata, "v", sa.select(table.c.id).where(table.c.id > 3))
    assert set(declared_views(metadata)) == {"v"} and declared_views(sa.MetaData()) == {}
    sql = declared_views(metadata)["v"].sql(sa.create_engine("sqlite://").dialect)
    assert sql == "SELECT t.id FROM t WHERE t.id > 3"


def test_ops_reverse_render_and_are_judged() -> None:
    create = CreateViewOp("v", "SELECT 1", materialized=True)
    assert isinstance(create.reverse(), DropViewOp) and create.reverse().reverse().sql == "SELECT 1"
    replace = ReplaceViewOp("v", "SELECT 2", "SELECT 1")
    assert replace.reverse().sql == "SELECT 1" and replace.reverse().old_sql == "SELECT 2"
    code = render_python_code(ops.UpgradeOps([create, replace, DropViewOp("w", "SELECT 3")]))
    assert "op.create_view('v', 'SELECT 1', materialized=True)" in code
    assert "op.replace_view('v', 'SELECT 2', 'SELECT 1')" in code and "op.drop_view('w', 'SELECT 3')" in code
    assert change_from_diff(replace.to_diff_tuple(), None).object_type == "view"
    subjects = subjects_of_ops(ops.UpgradeOps([create, replace, DropViewOp("w", "SELECT 3")]))
    verdicts = judge(subjects, RuleContext(backend_named("sqlite")))
    assert [worst(found).risk for found in verdicts] == ["safe", "safe", "may-fail"]  # type: ignore[union-attr]
    assert all(verdict.rule != "raw-sql" for found in verdicts for verdict in found)
