"""diff(): no false positives at head, every change kind as compare_metadata reports it, risks, read-only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools.changes import DATA_LOSS, MAY_FAIL, SAFE, flatten
from schema_tools.connect import read_only_connection
from schema_tools.diff import SchemaDiff, compare, diff
from schema_tools.sources import copy_metadata
from tests.support_project import upgrade_database as upgrade
from tests.support_scenarios import HOSTILE, ORDER, RESERVED, SCENARIOS, UNICODE, Scenario, base_database, schema


def create(url: sa.URL, metadata: sa.MetaData) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def execute(url: sa.URL, *statements: sa.Executable) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        engine.dispose()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_database_upgraded_to_head_diffs_empty(db_url: sa.URL) -> None:
    upgrade(db_url)
    result = diff(None, db_url)
    assert isinstance(result, SchemaDiff)
    assert not result, str(result)
    assert len(result) == 0
    assert result.to_dict()["summary"]["changes"] == 0


def test_database_at_an_older_revision_diffs_as_the_missing_columns(db_url: sa.URL) -> None:
    upgrade(db_url, "2aefc3d92de3")
    result = diff(None, db_url)
    added = {(c.table, c.name) for c in result if c.kind == "add_column"}
    assert added == {("audit_logs", name) for name in ("ip_address", "http_method", "path", "status_code")}
    indexes = {c.name for c in result if c.kind == "add_index"}
    assert indexes == {"ix_audit_logs_http_method", "ix_audit_logs_path", "ix_audit_logs_status_code"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_changes_equal_what_compare_metadata_returns_raw(
    scenario: Scenario, backend: str, new_database
) -> None:
    url = base_database(scenario, backend, new_database)
    desired = scenario.desired()

    result = diff(desired, url)

    with read_only_connection(url) as connection:
        raw = list(flatten(compare(connection, desired)))
    raw_keys = []
    for item in raw:
        kind = item[0]
        if kind.startswith("modify_"):
            raw_keys.append((kind, item[2], item[3]))
        elif kind in ("add_column", "remove_column"):
            raw_keys.append((kind, item[2], item[3].name))
        elif kind in ("add_table", "remove_table", "add_table_comment", "remove_table_comment"):
            raw_keys.append((kind, item[1].name, item[1].name))
        else:
            raw_keys.append((kind, item[1].table.name, item[1].name))
    assert [change.key for change in result] == raw_keys
    assert {change.kind for change in result} == scenario.expected_kinds


def test_names_with_quotes_reserved_words_and_unicode_round_trip(backend: str, new_database) -> None:
    url = new_database(backend)
    create(url, schema("add_column"))
    result = diff(schema("add_column"), url)
    assert not result, str(result)
    with read_only_connection(url) as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns(RESERVED)}
        order_columns = {c["name"] for c in sa.inspect(connection).get_columns(ORDER)}
    assert HOSTILE in columns
    assert UNICODE in order_columns


def test_diff_of_a_sqlite_database_leaves_the_file_bytes_unchanged(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    path = Path(sqlite_url.database)
    before = file_digest(path)
    desired = copy_metadata()
    desired.tables["bots"].append_column(sa.Column("region", sa.String(20), nullable=False))
    result = diff(desired, sqlite_url)
    assert [c.kind for c in result] == ["add_column"]
    assert file_digest(path) == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists()


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    from schema_tools.errors import DatabaseNotFound

    missing = tmp_path / "nope.db"
    with pytest.raises(DatabaseNotFound, match="not found"):
        diff(None, f"sqlite:///{missing}")
    assert not missing.exists()


def test_a_write_through_the_diff_connection_fails(db_url: sa.URL) -> None:
    upgrade(db_url)
    users = sa.table("users", sa.column("username"), sa.column("email"), sa.column("hashed_password"))
    with read_only_connection(db_url) as connection:
        with pytest.raises(sa.exc.DBAPIError):
            connection.execute(users.insert().values(username="mallory", email="m@x.invalid", hashed_password="!"))
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM users WHERE username = 'mallory'")).scalar() == 0
    engine.dispose()


def test_diff_between_two_revisions_shows_what_the_later_one_adds() -> None:
    result = diff("55221d9084c8", "440fdbe0fe66")
    assert [(c.kind, c.table, c.name) for c in result if c.kind == "add_column"] == [("add_column", "users", "email")]
    assert any(c.kind == "add_constraint" and c.name == "uq_users_email" for c in result)
    assert result.source == "revision 55221d9084c8"


def test_diff_between_two_databases_reflects_the_source(backend: str, new_database) -> None:
    staging, production = new_database(backend), new_database(backend)
    upgrade(staging)
    upgrade(production, "2aefc3d92de3")
    result = diff(staging, production)
    assert {c.name for c in result if c.kind == "add_column"} == {"ip_address", "http_method", "path", "status_code"}


# -- risk ---------------------------------------------------------------------------------------------


def _with_required_column(name: str) -> sa.MetaData:
    desired = copy_metadata()
    desired.tables["bots"].append_column(sa.Column(name, sa.String(20), nullable=False))
    return desired


def _insert_bot(url: sa.URL, name: str, **values) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        admin = connection.execute(sa.text("SELECT id FROM users WHERE username = 'admin'")).scalar_one()
        bots = sa.table("bots", *(sa.column(k) for k in ("name", "strategy_name", "exchange", "created_by", *values)))
        row = {"name": name, "strategy_name": "SampleStrategy", "exchange": "binance", "created_by": admin}
        connection.execute(bots.insert().values(**row, **values))
    engine.dispose()


def test_not_null_column_without_default_is_safe_on_an_empty_table(db_url: sa.URL) -> None:
    upgrade(db_url)
    (change,) = diff(_with_required_column("region"), db_url)
    assert change.risk == SAFE
    assert "empty" in change.reason


def test_not_null_column_without_default_may_fail_when_the_table_has_rows(db_url: sa.URL) -> None:
    upgrade(db_url)
    _insert_bot(db_url, "alpha")
    _insert_bot(db_url, "beta")
    (change,) = diff(_with_required_column("region"), db_url)
    assert change.risk == MAY_FAIL
    assert "2 rows" in change.reason


def test_unique_over_duplicates_may_fail_and_over_distinct_values_is_safe(db_url: sa.URL) -> None:
    upgrade(db_url)
    desired = copy_metadata()
    desired.tables["bots"].append_constraint(sa.UniqueConstraint("exchange", name="uq_bots_exchange"))
    _insert_bot(db_url, "alpha")
    (change,) = [c for c in diff(desired, db_url) if c.kind in ("add_constraint", "add_index")]
    assert change.risk == SAFE
    _insert_bot(db_url, "beta")
    (change,) = [c for c in diff(desired, db_url) if c.kind in ("add_constraint", "add_index")]
    assert change.risk == MAY_FAIL
    assert "1 group" in change.reason


def test_drops_and_narrowing_are_data_loss_and_widening_is_safe(db_url: sa.URL) -> None:
    upgrade(db_url)
    desired = copy_metadata()
    desired.remove(desired.tables["hyperopt_results"])
    desired.tables["users"].c.full_name.type = sa.String(20)
    desired.tables["bots"].c.description.type = sa.Text()
    desired.tables["bots"].c.exchange.type = sa.String(80)
    offline = {(c.kind, c.name): c.risk for c in diff(desired, db_url, preflight=False)}
    assert offline[("remove_table", "hyperopt_results")] == DATA_LOSS
    assert offline[("modify_type", "full_name")] == DATA_LOSS, "without live rows a narrowing is data loss"
    assert offline[("modify_type", "exchange")] == SAFE
    # With live rows, a narrowing no current value exceeds may fail later, and one that cuts values is data loss.
    fitting = {(c.kind, c.name): c for c in diff(desired, db_url)}
    assert fitting[("modify_type", "full_name")].risk == MAY_FAIL
    assert "no current value is affected" in fitting[("modify_type", "full_name")].reason
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        users = sa.table("users", sa.column("full_name"))
        connection.execute(users.update().values(full_name="x" * 30))
    engine.dispose()
    result = diff(desired, db_url)
    cut = next(c for c in result if c.key == ("modify_type", "users", "full_name"))
    assert cut.risk == DATA_LOSS and "would not fit" in cut.reason, cut
    assert result.risk == DATA_LOSS


def test_a_new_foreign_key_over_orphans_may_fail(db_url: sa.URL) -> None:
    upgrade(db_url)
    _insert_bot(db_url, "alpha", pid=999)
    desired = copy_metadata()
    desired.tables["bots"].append_constraint(
        sa.ForeignKeyConstraint(["pid"], ["freqai_models.id"], name="fk_bots_pid_freqai_models")
    )
    (change,) = [c for c in diff(desired, db_url) if c.kind == "add_fk"]
    assert change.risk == MAY_FAIL
    assert "1 row" in change.reason


# -- showing it ---------------------------------------------------------------------------------------


def test_text_html_and_json_show_every_change_with_its_risk(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    desired = copy_metadata()
    desired.remove(desired.tables["hyperopt_results"])
    desired.tables["bots"].append_column(sa.Column("region", sa.String(20), nullable=True))
    result = diff(desired, sqlite_url)
    text, html = str(result), result._repr_html_()
    for change in result:
        assert change.name in text
        assert change.kind in html
    assert html.count("data-loss") >= 1 and "#cf222e" in html
    assert html == diff(desired, sqlite_url)._repr_html_()
    payload = json.loads(json.dumps(result.to_dict()))
    assert {c["kind"] for c in payload["changes"]} == {c.kind for c in result}
    assert payload["summary"]["risk"]["data-loss"] == sum(c.risk == DATA_LOSS for c in result)
    assert set(result.by_table()) == {"bots", "hyperopt_results"}


def test_async_urls_are_read_through_their_sync_driver(db_url: sa.URL) -> None:
    upgrade(db_url)
    async_driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}
    async_url = db_url.set(drivername=async_driver[db_url.get_backend_name()])
    result = diff(None, async_url.render_as_string(hide_password=False))
    assert not result, str(result)
    assert result.dialect == db_url.get_backend_name()


def test_an_engine_or_a_connection_works_as_the_target(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url, "2aefc3d92de3")
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    try:
        from_engine = diff(None, engine)
        with engine.connect() as connection:
            from_connection = diff(None, connection)
    finally:
        engine.dispose()
    assert from_engine == from_connection == diff(None, sqlite_url)
    assert len(from_engine) == 7
