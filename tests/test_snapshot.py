"""Snapshots: a schema as stable JSON, and a source wherever a database is, with the very same diffs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools import Snapshot, diff, draft, erd, snapshot
from schema_tools.cli import EXIT_ERROR, EXIT_OK, main
from schema_tools.cross_dialect import ORIGIN_KEY
from schema_tools.snapshot_format import VERSION, SnapshotError, read_snapshot
from schema_tools.snapshot_read import ORIGIN_KEY as SNAPSHOT_ORIGIN_KEY
from schema_tools.snapshot_read import SCRATCH_SERVER_ENV
from schema_tools.views import declared_views, view
from tests.conftest import MYSQL_ENV, POSTGRES_ENV
from tests.support_scenarios import ORDER, RESERVED, SCENARIOS, Scenario, base_database, schema

_SERVERS = {"postgresql": (POSTGRES_ENV, "POSTGRESQL"), "mysql": (MYSQL_ENV, "MYSQL")}


@pytest.fixture
def scratch_server(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Snapshots of a server's schema are compared in scratch databases on the test server of that backend."""
    if backend in _SERVERS:
        test_env, name = _SERVERS[backend]
        if os.environ.get(test_env):
            monkeypatch.setenv(SCRATCH_SERVER_ENV.format(name=name), os.environ[test_env])
    yield


def _create(url: sa.URL, metadata: sa.MetaData, *statements: str) -> sa.URL:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()
    return url


def _seed(url: sa.URL) -> None:
    """Rows a live preflight would count: a snapshot has none, so its diff must not pretend to count them."""
    tables = schema().tables
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(tables[RESERVED].insert(), [{"id": 1, "select": "a"}, {"id": 2, "select": "b"}])
        connection.execute(tables[ORDER].insert(), [{"id": 1, "user_id": 1, "total": None}])
    engine.dispose()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_diff_against_a_snapshot_equals_the_diff_against_its_database(
    scenario: Scenario, backend: str, new_database: Callable[[str], sa.URL], scratch_server: None, tmp_path: Path
) -> None:
    url = base_database(scenario, backend, new_database)
    _seed(url)
    path = snapshot(url).write(tmp_path / "base.json")
    desired = scenario.desired()

    from_database = diff(desired, url, preflight=False)
    assert {change.kind for change in from_database} == scenario.expected_kinds
    for target in (str(path), read_snapshot(path)):
        from_snapshot = diff(desired, target)
        # Change equality covers kind, table, name, before/after, columns, risk and reason.
        assert from_snapshot.changes == from_database.changes, scenario.name
        assert from_snapshot.dialect == from_database.dialect

    # The snapshot as the desired side: the scenario's database, recorded, against the base database.
    changed = _create(new_database(backend), desired)
    recorded = snapshot(changed).write(tmp_path / "changed.json")
    assert diff(str(recorded), url).changes == diff(changed, url).changes, scenario.name
    # Two snapshots: no database in the comparison at all.
    assert diff(str(recorded), str(path)).changes == diff(changed, url, preflight=False).changes, scenario.name


def test_a_snapshot_is_byte_stable_and_reads_back_unchanged(sqlite_url: sa.URL, tmp_path: Path) -> None:
    _create(sqlite_url, schema())
    first, second = snapshot(sqlite_url), snapshot(sqlite_url)
    assert first.to_json() == second.to_json()
    path = first.write(tmp_path / "schema.json")
    assert read_snapshot(path).to_json() == path.read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text
    document = json.loads(text)
    assert document["version"] == VERSION and document["dialect"] == "sqlite"
    assert list(document["tables"]) == sorted([RESERVED, ORDER, "legacy"])


def _rich(metadata: sa.MetaData) -> sa.MetaData:
    """Enums, a CHECK, a computed column, a comment and a view: the parts a snapshot holds beside tables."""
    sa.Table(
        "bot",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.Enum("idle", "trading", name="bot_state"), nullable=False),
        sa.Column("stake", sa.Numeric(12, 4), comment="coin"),
        sa.Column("double_owner", sa.Integer, sa.Computed("owner_id * 2", persisted=True)),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey(f"{RESERVED}.id", ondelete="CASCADE"), nullable=True),
        sa.Index("ix_bot_state", "state"),
        sa.CheckConstraint("stake >= 0", name="ck_bot_stake"),
        comment="one trading bot",
    )
    view(metadata, "idle_bots", sa.select(metadata.tables["bot"].c.id).where(metadata.tables["bot"].c.state == "idle"))
    return metadata


def test_a_snapshot_holds_enums_checks_views_and_keys_and_diffs_them_as_the_database(
    backend: str, new_database: Callable[[str], sa.URL], scratch_server: None
) -> None:
    models = _rich(schema())
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        models.create_all(connection)
        select = declared_views(models)["idle_bots"].sql(engine.dialect)
        connection.exec_driver_sql(f"CREATE VIEW idle_bots AS {select}")
    engine.dispose()
    taken = snapshot(url)
    bot = taken.tables["bot"]
    assert {fk["options"].get("ondelete") for fk in bot["foreign_keys"]} == {"CASCADE"}
    assert "idle_bots" in taken.views
    assert any("stake" in check["sqltext"] for check in bot["check_constraints"])
    assert any(column.get("computed") for column in bot["columns"])
    if backend == "postgresql":
        assert taken.enums == {"bot_state": ["idle", "trading"]}

    assert diff(models, taken).changes == diff(models, url, preflight=False).changes
    changed = _rich(schema("add_column"))
    view(changed, "idle_bots", sa.select(changed.tables["bot"].c.stake))
    assert diff(changed, taken).changes == diff(changed, url, preflight=False).changes


def test_a_newer_format_version_is_refused_in_one_line_by_the_cli(
    sqlite_url: sa.URL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(sqlite_url, schema())
    document = json.loads(snapshot(sqlite_url).to_json())
    document["version"] = VERSION + 1
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(document), encoding="utf-8")
    assert main(["diff", "--source", str(newer), "--url", str(sqlite_url)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert f"version {VERSION + 1}" in err and "upgrade schema-tools" in err
    with pytest.raises(SnapshotError):
        read_snapshot(newer)


def test_an_older_format_version_is_upgraded_on_reading(
    sqlite_url: sa.URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's upgrade chain: pretend this schema-tools writes version 2, and version 1 is the old one."""
    from schema_tools import snapshot_format

    _create(sqlite_url, schema())
    old = snapshot(sqlite_url).write(tmp_path / "old.json")
    monkeypatch.setattr(snapshot_format, "VERSION", 2)
    monkeypatch.setitem(snapshot_format._UPGRADES, 1, lambda document: {**document, "version": 2, "upgraded": True})
    read = read_snapshot(old)
    assert read.version == 2 and read.document["upgraded"] is True
    assert read.tables == json.loads(old.read_text(encoding="utf-8"))["tables"]


def test_the_cli_writes_a_snapshot_and_erd_and_draft_read_it(
    sqlite_url: sa.URL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(sqlite_url, schema())
    out = tmp_path / "schema.json"
    assert main(["snapshot", "--url", str(sqlite_url), "-o", str(out)]) == EXIT_OK
    assert "3 tables" in capsys.readouterr().err
    assert read_snapshot(out) == snapshot(sqlite_url)
    assert set(erd(str(out)).table_names) == {RESERVED, ORDER, "legacy"}
    drafted = draft(schema("add_column"), str(out))
    assert [type(operation).__name__ for _, operation in drafted.operations()] == ["AddColumnOp"]
    assert "ADD COLUMN" in drafted.sql()


def test_a_server_snapshot_draws_offline_and_names_the_variable_a_diff_needs(
    postgres_url: sa.URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(postgres_url, schema())
    secret = postgres_url.set(password="s3cret-pw")  # the test server trusts loopback: any password connects
    taken = snapshot(secret)
    assert "s3cret-pw" not in taken.to_json()
    path = taken.write(tmp_path / "pg.json")
    monkeypatch.delenv(SCRATCH_SERVER_ENV.format(name="POSTGRESQL"), raising=False)
    assert set(erd(str(path)).table_names) == {RESERVED, ORDER, "legacy"}
    assert main(["diff", "--url", str(path)]) == EXIT_ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and SCRATCH_SERVER_ENV.format(name="POSTGRESQL") in err


def test_the_snapshot_marks_its_dialect_where_cross_backend_diffs_look(sqlite_url: sa.URL) -> None:
    assert SNAPSHOT_ORIGIN_KEY == ORIGIN_KEY
    _create(sqlite_url, schema())
    assert isinstance(snapshot(sqlite_url), Snapshot)
