"""CHECK constraints: compared by name and normalised expression on every backend, violators counted, revisions run."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.pool import NullPool

from schema_tools.comparators.expressions import canonical
from schema_tools.diff import diff
from schema_tools.draft import draft
from schema_tools.settings import compare_options
from tests.support_generated import create, models, scratch_project

BAD_ROWS = (
    ("gauges", {"id": 1, "x": 5, "s": "a"}),
    ("gauges", {"id": 2, "x": 7, "s": "zz"}),  # violates s IN ('a', 'b')
    ("gauges", {"id": 3}),  # NULL passes a CHECK: not counted
    ("tickets", {"id": 1, "label": "first"}),
)


@pytest.mark.unit
@pytest.mark.parametrize(
    "spelling",
    ["x > 0", "(x > 0)", "((x > 0))", "`x` > 0", '"x" > 0', "X  >  0", "(`x` > 0)"],
)
def test_spellings_of_one_check_compare_equal(spelling: str) -> None:
    assert canonical(spelling) == canonical("x > 0")


@pytest.mark.unit
def test_backend_respellings_and_real_changes() -> None:
    model = "s IN ('a', 'b') AND x < 100"
    postgres = "(s::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])) AND x < 100"
    mariadb = "`s` in ('a','b') and `x` < 100"
    assert canonical(postgres) == canonical(model) == canonical(mariadb)
    assert canonical("x != 3") == canonical("x <> 3")
    assert canonical("x > 0") != canonical("x >= 0")
    assert canonical("s = 'A b'") != canonical("s = 'a b'")  # literals are values, kept as written


def rich_models() -> sa.MetaData:
    """Every kind of CHECK SQLAlchemy makes, plus JSON (MariaDB adds json_valid), computed and identity columns."""
    metadata = sa.MetaData()
    sa.Table(
        "things",
        metadata,
        sa.Column("id", sa.Integer, sa.Identity(start=5, increment=2), primary_key=True),
        sa.Column("x", sa.Integer, sa.CheckConstraint("x > -10")),  # column-level, unnamed
        sa.Column("s", sa.String(10)),
        sa.Column("doc", sa.JSON),
        sa.Column("flag", sa.Boolean(create_constraint=True)),
        sa.Column("kind", sa.Enum("a", "b", name="thing_kind", create_constraint=True)),
        sa.Column("twice", sa.Integer, sa.Computed("x * 2")),
        sa.Column("stored", sa.Integer, sa.Computed("x + 1", persisted=True)),
        sa.CheckConstraint("x > 0 OR x IS NULL", name="ck_things_x"),
        sa.CheckConstraint("s IN ('a', 'b') AND x < 100", name="ck_things_s"),
        sa.CheckConstraint("s NOT IN ('c')", name="ck_things_not_c"),
        sa.CheckConstraint("x != 3"),  # unnamed: PostgreSQL and MariaDB name it themselves
    )
    sa.Table("plain", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))
    return metadata


@pytest.mark.filterwarnings("ignore:Computed column")
def test_a_database_made_by_create_all_shows_no_change(db_url: sa.URL) -> None:
    create(db_url, rich_models())
    assert list(diff(rich_models(), db_url)) == []
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=compare_options(connection.dialect.name))
        assert compare_metadata(context, rich_models()) == []
    engine.dispose()


@pytest.mark.filterwarnings("ignore:Computed column")
def test_added_dropped_and_changed_checks_with_the_violators_counted(db_url: sa.URL) -> None:
    create(db_url, models("before"), *BAD_ROWS)
    changes = [c for c in diff(models("after"), db_url) if c.kind.endswith("_constraint")]
    found = {(c.kind, c.name): c for c in changes}
    assert set(found) == {
        ("remove_constraint", "ck_gauges_cap"),  # dropped
        ("remove_constraint", "ck_gauges_x"),  # changed: dropped and created again
        ("add_constraint", "ck_gauges_x"),
        ("add_constraint", "ck_gauges_s"),  # added
    }
    added = found[("add_constraint", "ck_gauges_s")]
    assert added.risk == "may-fail"
    verdict = next(v for v in added.verdicts if v.rule == "check-on-rows")
    assert verdict.count == 1, verdict  # 'zz' violates; the NULL row passes
    assert found[("add_constraint", "ck_gauges_x")].risk == "safe"  # x >= 0 holds for every row
    assert found[("remove_constraint", "ck_gauges_cap")].risk == "safe"


@pytest.mark.filterwarnings("ignore:Computed column")
def test_without_a_connection_a_new_check_may_fail(db_url: sa.URL) -> None:
    create(db_url, models("before"))
    added = next(c for c in diff(models("after"), db_url, preflight=False) if c.name == "ck_gauges_s")
    assert added.kind == "add_constraint" and added.risk == "may-fail"


@pytest.mark.filterwarnings("ignore:Computed column")
def test_draft_renders_the_check_operations(db_url: sa.URL) -> None:
    create(db_url, models("before"))
    code = draft(models("after"), db_url).upgrade_code
    assert "drop_constraint('ck_gauges_cap'" in code
    assert "create_check_constraint('ck_gauges_s'" in code
    assert code.index("drop_constraint('ck_gauges_x'") < code.index("create_check_constraint('ck_gauges_x'")


def run(project, line: str) -> str:
    result = project.run(line)
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.mark.filterwarnings("ignore:Computed column")
def test_autogenerate_writes_a_revision_that_upgrades_downgrades_and_checks_clean(
    backend: str, db_url: sa.URL, tmp_path: Path
) -> None:
    project = scratch_project(tmp_path / "project", db_url)
    project.env["CHK_STAGE"] = "before"
    run(project, 'alembic revision --autogenerate -m "base"')
    run(project, "alembic upgrade head")
    run(project, "alembic check")
    project.env["CHK_STAGE"] = "after"
    assert project.run("alembic check").returncode != 0  # the models changed: check sees it
    run(project, 'alembic revision --autogenerate -m "checks"')
    written = next(project.versions.glob("*checks*.py")).read_text().replace('"', "'")  # post-write hooks may requote
    assert "create_check_constraint('ck_gauges_s'" in written and "drop_constraint('ck_gauges_cap'" in written
    assert "Computed(" in written and "'x * 3'" in written
    if backend != "sqlite":
        assert "alter_column(" in written and "'tickets'" in written
    run(project, "alembic upgrade head")
    run(project, "alembic check")
    run(project, "alembic downgrade -1")
    assert list(diff(models("before"), db_url)) == []  # the downgrade put back exactly the earlier schema
    run(project, "alembic upgrade head")
    run(project, "alembic check")
