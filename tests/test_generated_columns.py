"""Computed and identity columns: every difference reported with its risk, rendered, and run; no noise."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa

from schema_tools.diff import diff
from schema_tools.draft import draft
from tests.support_generated import create, models

pytestmark = pytest.mark.filterwarnings("ignore:Computed column")


def table(*columns: sa.Column) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("readings", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), *columns)
    return metadata


def of_kind(result, kind: str) -> list:
    return [change for change in result if change.kind == kind]


def test_a_changed_computed_expression_is_a_rewrite_that_may_fail(db_url: sa.URL) -> None:
    create(db_url, models("before"), ("gauges", {"id": 1, "x": 5}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # Alembic's "Computed default ... cannot be modified" is gone
        result = diff(models("after"), db_url)
    (change,) = of_kind(result, "modify_computed")
    assert (change.table, change.name, change.risk) == ("gauges", "y", "may-fail")
    assert "x * 2" in change.before.replace("`", "") and "x * 3" in change.after
    assert "rewrit" in change.reason
    code = draft(models("after"), db_url).upgrade_code
    assert "drop_column" in code and "Computed('x * 3'" in code


@pytest.mark.parametrize("direction", ["becomes", "stops"])
def test_a_column_that_becomes_or_stops_being_computed_loses_its_values(db_url: sa.URL, direction: str) -> None:
    plain = table(sa.Column("x", sa.Integer), sa.Column("y", sa.Integer))
    computed = table(sa.Column("x", sa.Integer), sa.Column("y", sa.Integer, sa.Computed("x + 1")))
    before, after = (plain, computed) if direction == "becomes" else (computed, plain)
    create(db_url, before, ("readings", {"id": 1, "x": 1}))
    (change,) = of_kind(diff(after, db_url), "modify_computed")
    assert change.risk == "data-loss"
    assert ("plain column" in change.before) == (direction == "becomes")


def test_a_changed_persisted_flag_is_reported(backend: str, db_url: sa.URL) -> None:
    if backend == "postgresql":
        pytest.skip("PostgreSQL before 18 has STORED generated columns only")
    virtual = table(sa.Column("x", sa.Integer), sa.Column("y", sa.Integer, sa.Computed("x + 1", persisted=False)))
    stored = table(sa.Column("x", sa.Integer), sa.Column("y", sa.Integer, sa.Computed("x + 1", persisted=True)))
    create(db_url, virtual)
    (change,) = of_kind(diff(stored, db_url), "modify_computed")
    assert "VIRTUAL" in change.before and "STORED" in change.after


def test_an_added_identity_is_reported_where_the_backend_reflects_it(backend: str, db_url: sa.URL) -> None:
    create(db_url, models("before"), ("tickets", {"id": 1, "label": "first"}))
    found = of_kind(diff(models("after"), db_url), "modify_identity")
    if backend == "sqlite":  # no identity in SQLite: INTEGER PRIMARY KEY is the rowid whatever the models say
        assert found == []
        return
    (change,) = found
    assert (change.table, change.name, change.risk) == ("tickets", "id", "may-fail")
    assert "1 row" in change.reason
    code = draft(models("after"), db_url).upgrade_code
    assert "alter_column('tickets', 'id'" in code
    assert ("server_default=sa.Identity(" in code) if backend == "postgresql" else ("autoincrement=True" in code)


def test_identity_options_and_removal_on_postgresql(new_database) -> None:
    url = new_database("postgresql")
    create(url, table(sa.Column("n", sa.Integer, sa.Identity(start=1), nullable=False)))
    restarted = table(sa.Column("n", sa.Integer, sa.Identity(start=50), nullable=False))
    (changed,) = of_kind(diff(restarted, url), "modify_identity")
    assert changed.risk == "safe" and "start=50" in changed.after
    plain = table(sa.Column("n", sa.Integer, nullable=False))
    (dropped,) = of_kind(diff(plain, url), "modify_identity")
    assert dropped.risk == "may-fail" and dropped.after == "no identity"
    code = draft(plain, url).upgrade_code
    assert "existing_server_default=sa.Identity(" in code  # else Alembic emits DROP DEFAULT, not DROP IDENTITY


@pytest.mark.parametrize("stage", ["before", "after"])
def test_the_same_models_show_no_change(db_url: sa.URL, stage: str) -> None:
    create(db_url, models(stage))
    assert list(diff(models(stage), db_url)) == []
