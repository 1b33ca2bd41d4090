"""The fleet check: many databases against their models and the head, locally in a pool, never stopped by one."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from management_server import fleet_examples
from schema_tools import ConfigurationError, FleetReport, RevisionError, fleet
from schema_tools.cli import main
from schema_tools.display import RISK_BACKGROUNDS
from schema_tools.fleet import Job, check_one, parse_fleet
from schema_tools.fleet_types import FleetEntry, run_job
from schema_tools.settings import alembic_config
from tests.support_project import HEAD, Project, upgrade_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FREQTRADE = PROJECT_ROOT.parent / "shared" / "freqtrade"
SECRET = "s3cr%t@p:ss/w"  # every character that breaks naive URL handling
MANAGEMENT = "management_server.models:Base.metadata"
HERE = __name__  # the models below are named "<this module>:NAME", as a worker imports them

# --- models the fleets are checked against -------------------------------------------------------------------


def _shop(*, with_note: bool = True, extra_table: bool = False) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        *([sa.Column("note", sa.String(200))] if with_note else []),
    )
    sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("total", sa.Numeric(10, 2)),
    )
    if extra_table:
        sa.Table("leftover", metadata, sa.Column("id", sa.Integer, primary_key=True))
    return metadata


SHOP = _shop()
DeclarativeShop: Any = type("DeclarativeShop", (), {"metadata": SHOP})  # a declarative Base-like: has .metadata


def __getattr__(name: str) -> sa.MetaData:  # "tests.test_fleet:FREQTRADE_2022": the example module's models
    if name.startswith("FREQTRADE_"):
        return cast(sa.MetaData, getattr(fleet_examples, name))  # built on first use: a missing folder only skips
    raise AttributeError(name)


# --- helpers --------------------------------------------------------------------------------------------------


def _file(tmp_path: Path, name: str, metadata: sa.MetaData) -> str:
    url = f"sqlite:///{tmp_path / name}"
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    return url


def _content(entry: FleetEntry) -> FleetEntry:
    """An entry without its timing, the one field two runs never share."""
    return replace(entry, seconds=0.0)


def _outputs(report: FleetReport) -> str:
    return "\n".join((str(report), repr(report), report.to_json(), report._repr_html_()))


def _assert_masked(text: str) -> None:
    assert SECRET not in text and quote(SECRET, safe="") not in text


@pytest.fixture
def shop_fleet(tmp_path: Path) -> list[str]:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is no database at all\n" * 100)
    return [
        _file(tmp_path, "match.db", SHOP),
        _file(tmp_path, "no_note.db", _shop(with_note=False)),
        f"sqlite:///{tmp_path / 'missing.db'}",
        f"sqlite:///{garbage}",
        _file(tmp_path, "leftover.db", _shop(extra_table=True)),
    ]


# --- one database ---------------------------------------------------------------------------------------------


def test_a_matching_database_without_a_version_table_has_no_revision_nor_head(tmp_path: Path) -> None:
    url = _file(tmp_path, "a.db", SHOP)
    entry = check_one(url, f"{HERE}:SHOP")
    assert entry.reachable and entry.error is None
    assert (entry.revision, entry.head, entry.behind, entry.changes, entry.details) == (None, None, None, 0, ())
    assert entry.database == "sqlite:///a.db" and entry.ok
    assert [_content(e) for e in fleet(url, f"{HERE}:SHOP").entries] == [_content(entry)]  # one URL is a fleet


def test_a_declarative_base_is_taken_for_its_metadata(tmp_path: Path) -> None:
    assert check_one(_file(tmp_path, "a.db", SHOP), f"{HERE}:DeclarativeShop").ok


def test_changes_are_counted_by_risk_and_listed_only_when_asked(tmp_path: Path) -> None:
    url = _file(tmp_path, "a.db", _shop(with_note=False, extra_table=True))
    brief, full = check_one(url, f"{HERE}:SHOP"), check_one(url, f"{HERE}:SHOP", with_changes=True)
    assert brief.details == () and brief.changes == full.changes == len(full.details) == 2
    assert {(c["kind"], c["table"]) for c in full.details} == {
        ("add_column", "customers"),
        ("remove_table", "leftover"),
    }
    assert brief.risks == {risk: sum(c["risk"] == risk for c in full.details) for risk in brief.risks}
    assert brief.risks["data-loss"] == 1 and not brief.ok


def test_models_that_do_not_import_raise_rather_than_fail_every_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no_such_module"):
        check_one(_file(tmp_path, "a.db", SHOP), "no_such_module:metadata")


def test_a_job_pickles_and_its_repr_masks_the_password() -> None:
    job = Job(f"postgresql+psycopg://u:{quote(SECRET, safe='')}@127.0.0.1/db", f"{HERE}:SHOP", None, True, "bot")
    assert pickle.loads(pickle.dumps(job)) == job
    _assert_masked(repr(job))


# --- the fleet file -------------------------------------------------------------------------------------------


def test_a_fleet_file_takes_comments_labels_per_line_models_and_paths_next_to_it(tmp_path: Path) -> None:
    folder = tmp_path / "bots"
    folder.mkdir()
    _file(folder, "one.db", SHOP)
    _file(folder, "two.db", _shop(extra_table=True))
    fleet_file = folder / "fleet.txt"
    fleet_file.write_text(
        "# the shop's bots\n\n"
        "sqlite:///one.db\n"
        f"bot two = sqlite:///two.db | {HERE}:SHOP   # checked against the shop's models\n"
        "postgresql+psycopg://u@127.0.0.1/db?sslmode=disable\n"
    )
    jobs = parse_fleet(fleet_file, "other.models:metadata")
    assert [job.name for job in jobs] == [None, "bot two", None]
    assert [job.models for job in jobs] == ["other.models:metadata", f"{HERE}:SHOP", "other.models:metadata"]
    assert jobs[0].url == f"sqlite:///{folder / 'one.db'}"  # relative to the fleet file, not the working directory
    assert jobs[2].url.endswith("/db?sslmode=disable")  # an "=" in a query string is no label

    report = fleet(fleet_file, f"{HERE}:SHOP", workers=1)
    assert [e.database for e in report.entries[:2]] == ["sqlite:///one.db", "bot two"]
    assert report.entries[1].changes == 1 and not report.entries[2].reachable


@pytest.mark.parametrize(
    ("content", "needle"), [("", "names no database"), ("bot = not a url\n", "line 1 is not a URL")]
)
def test_a_fleet_file_without_databases_or_with_a_bad_line_is_one_line(
    tmp_path: Path, content: str, needle: str
) -> None:
    path = tmp_path / "fleet.txt"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=needle):
        fleet(path, f"{HERE}:SHOP")


# --- a fleet of SQLite files ----------------------------------------------------------------------------------


def test_one_unreachable_database_never_stops_the_rest(shop_fleet: list[str]) -> None:
    report = fleet(shop_fleet, f"{HERE}:SHOP", workers=1, with_changes=True)
    match, no_note, missing, garbage, leftover = report.entries
    assert [e.database for e in report.entries] == [
        "sqlite:///match.db",
        "sqlite:///no_note.db",
        "sqlite:///missing.db",
        "sqlite:///garbage.db",
        "sqlite:///leftover.db",
    ]
    assert match.ok and no_note.changes == 1 and no_note.risks["safe"] == 1
    assert leftover.changes == 1 and leftover.risks["data-loss"] == 1  # checked after two failures
    for broken in (missing, garbage):
        assert not broken.reachable and broken.changes == 0 and broken.error
        assert "\n" not in broken.error
    assert "missing.db" in (missing.error or "")
    assert report.summary() == {
        "databases": 5,
        "reachable": 3,
        "unreachable": 2,
        "failed": 0,
        "behind": 0,
        "drifted": 2,
    }
    assert report.drifted == (no_note, leftover) and not report.ok
    assert not (Path(shop_fleet[2].removeprefix("sqlite:///"))).exists()  # a missing file is never created


def test_the_local_pool_returns_what_one_process_does_in_the_same_order(shop_fleet: list[str]) -> None:
    one = fleet(shop_fleet * 2, f"{HERE}:SHOP", workers=1, with_changes=True)
    pooled = fleet(shop_fleet * 2, f"{HERE}:SHOP", workers=2, with_changes=True)
    assert [_content(e) for e in pooled.entries] == [_content(e) for e in one.entries]
    assert pooled.summary() == one.summary()


def test_an_executor_gets_picklable_jobs_and_its_results_are_the_report(shop_fleet: list[str]) -> None:
    seen: list[Job] = []

    def executor(jobs: list[Job]) -> list[FleetEntry]:
        seen.extend(pickle.loads(pickle.dumps(jobs)))
        return [run_job(job) for job in jobs]

    report = fleet(shop_fleet, f"{HERE}:SHOP", executor=executor)
    assert [job.url for job in seen] == shop_fleet and len(report.entries) == len(shop_fleet)
    with pytest.raises(ConfigurationError, match="returned 1 results for 5"):
        fleet(shop_fleet, f"{HERE}:SHOP", executor=lambda jobs: [run_job(jobs[0])])


def test_a_fleet_with_models_that_do_not_import_stops_before_any_database(shop_fleet: list[str]) -> None:
    opened: list[Job] = []
    with pytest.raises(ConfigurationError, match="no_such_module"):
        fleet(shop_fleet, "no_such_module:metadata", executor=lambda jobs: opened.extend(jobs) or [])
    assert opened == []


def test_the_matrix_colours_by_risk_and_folds_each_databases_changes(shop_fleet: list[str]) -> None:
    report = fleet(shop_fleet, f"{HERE}:SHOP", workers=1, with_changes=True)
    html = report._repr_html_()
    assert html.count("<details>") == 2  # the two drifted databases, folded
    assert RISK_BACKGROUNDS["data-loss"] in html and RISK_BACKGROUNDS["safe"] in html
    assert "remove_table" in html and "leftover" in html
    plain = fleet(shop_fleet, f"{HERE}:SHOP", workers=1)._repr_html_()
    assert "<details>" not in plain and plain.count("<tr>") == 1 + len(shop_fleet)  # a header, a row per database


def test_the_drill_down_is_the_full_diff_of_one_database(shop_fleet: list[str]) -> None:
    report = fleet(shop_fleet, f"{HERE}:SHOP", workers=1, with_changes=True)
    drilled = report.diff("sqlite:///leftover.db")
    assert [c.to_dict() for c in drilled.real()] == list(report.entries[4].details)


# --- the management server: revisions against the head ---------------------------------------------------------


def test_revision_against_head_on_the_management_servers_history(tmp_path: Path) -> None:
    at_head, behind = f"sqlite:///{tmp_path / 'head.db'}", f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade_database(at_head)
    upgrade_database(behind, "head-1")
    report = fleet([at_head, behind], MANAGEMENT, workers=1)
    head, old = report.entries
    assert head.ok and head.revision == head.head and head.behind is False
    assert old.behind is True and old.revision != old.head == head.head and old.drifted
    assert report.behind == (old,)


def test_a_broken_history_raises_once_instead_of_failing_every_database(tmp_path: Path) -> None:
    app = Project(tmp_path / "app")
    app.add_revision("ffff00000001", "0000deadbeef", "pass")  # its parent is no script's revision
    stamped = _file(tmp_path, "stamped.db", SHOP)
    engine = sa.create_engine(stamped, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{HEAD}')")
    engine.dispose()
    ini = str(app.root / "alembic.ini")
    with pytest.raises(RevisionError):
        fleet([_file(tmp_path, "plain.db", SHOP), stamped], f"{HERE}:SHOP", config=ini, workers=1)
    assert fleet([_file(tmp_path, "other.db", SHOP)], f"{HERE}:SHOP", config=ini, workers=1).ok  # no version table


# --- servers: PostgreSQL and MariaDB, passwords never shown -------------------------------------------------------


def _mariadb_user(url: sa.URL) -> Callable[[], None]:
    admin = sa.create_engine(url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql("DROP USER IF EXISTS 'st_fleet'@'%%'", ())
        connection.exec_driver_sql("CREATE USER 'st_fleet'@'%%' IDENTIFIED BY %s", (SECRET,))

    def drop() -> None:
        with admin.begin() as connection:
            connection.exec_driver_sql("DROP USER IF EXISTS 'st_fleet'@'%%'", ())
        admin.dispose()

    return drop


def test_servers_in_one_fleet_with_passwords_that_never_show(
    postgres_url: sa.URL, mysql_url: sa.URL, tmp_path: Path
) -> None:
    upgrade_database(postgres_url)
    engine = sa.create_engine(mysql_url, poolclass=NullPool)
    _shop(with_note=False).create_all(engine)  # no version table, and a column short of the models
    engine.dispose()
    # The test server trusts loopback, so this password is accepted: it still must never be shown.
    pg_secret = postgres_url.set(password=SECRET).render_as_string(hide_password=False)
    pg_no_role = postgres_url.set(username="st_no_such_role", password=SECRET).render_as_string(hide_password=False)
    drop_user = _mariadb_user(mysql_url)
    try:
        wrong = mysql_url.set(username="st_fleet", password=SECRET + "x", host="127.0.0.1")
        urls = [pg_secret, pg_no_role, mysql_url.render_as_string(hide_password=False), wrong.render_as_string(False)]
        report = fleet(urls, MANAGEMENT, workers=2, with_changes=True)
    finally:
        drop_user()
    pg, no_role, maria, refused = report.entries
    assert pg.ok and pg.revision == pg.head and "***" in pg.database
    assert not no_role.reachable and "st_no_such_role" in (no_role.error or "")
    assert maria.reachable and maria.revision is None and maria.head is None and maria.drifted
    assert not refused.reachable and "login refused" in (refused.error or "")
    _assert_masked(_outputs(report))
    with pytest.raises(ConfigurationError) as error:  # a caller's mistake, raised: the URLs stay out of it
        fleet(urls, "no_such_module:metadata")
    _assert_masked(str(error.value))


# --- Freqtrade: trade databases no Alembic history covers, each against its own version's models ---------------


@pytest.mark.skipif(not FREQTRADE.is_dir(), reason=f"freqtrade data not found at {FREQTRADE}")
def test_a_fleet_of_freqtrade_bots_each_against_its_own_version(tmp_path: Path) -> None:
    for db in (FREQTRADE / "dbs").glob("*.sqlite"):
        shutil.copy(db, tmp_path / db.name)
        (tmp_path / db.name).chmod(0o644)
    fleet_file = tmp_path / "bots.fleet"
    fleet_file.write_text(
        "# each bot's trade database, checked against the models of the freqtrade it runs\n"
        f"bot-2026.9     = sqlite:///current_tradesv3.sqlite             | {HERE}:FREQTRADE_2026_9\n"
        f"bot-2022       = sqlite:///old_2022_tradesv3.sqlite            | {HERE}:FREQTRADE_2022\n"
        f"bot-2024.10    = sqlite:///old_2024_10_tradesv3.sqlite         | {HERE}:FREQTRADE_2024_10\n"
        "upgraded-2022  = sqlite:///migrated_old_2022_tradesv3.sqlite\n"
        "upgraded-2024  = sqlite:///migrated_old_2024_10_tradesv3.sqlite\n"
        "stale-2022     = sqlite:///old_2022_tradesv3.sqlite\n"
    )
    report = fleet(fleet_file, f"{HERE}:FREQTRADE_2026_9", with_changes=True, workers=2)
    by_name = {entry.database: entry for entry in report.entries}
    assert all(e.reachable and e.head is None and e.behind is None for e in report.entries)
    assert by_name["bot-2026.9"].ok, by_name["bot-2026.9"].details
    assert by_name["bot-2022"].ok and by_name["bot-2024.10"].ok
    for upgraded in ("upgraded-2022", "upgraded-2024"):  # freqtrade's own migration leaves *_bak tables behind
        dropped = {c["table"] for c in by_name[upgraded].details if c["kind"] == "remove_table"}
        assert dropped and all("_bak" in table for table in dropped), by_name[upgraded].details
    stale = by_name["stale-2022"]  # a 2022 database under 2026.9's code: the columns freqtrade added since
    added = {(c["table"], c["name"]) for c in stale.details if c["kind"] == "add_column"}
    assert ("trades", "leverage") in added and ("trades", "is_short") in added
    assert report.summary()["drifted"] == 3 and not report.ok


# --- the command ----------------------------------------------------------------------------------------------


def _write_fleet(tmp_path: Path, urls: list[str]) -> str:
    path = tmp_path / "fleet.txt"
    path.write_text("".join(f"{url}\n" for url in urls))
    return str(path)


def test_the_command_exits_0_when_all_match_and_1_on_drift_or_an_unreachable_database(
    shop_fleet: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = ["--models", f"{HERE}:SHOP", "--workers", "1"]
    assert main(["fleet", "--urls", _write_fleet(tmp_path, shop_fleet[:1]), *models]) == 0
    assert "sqlite:///match.db" in capsys.readouterr().out
    assert main(["fleet", "--urls", _write_fleet(tmp_path, shop_fleet[:2]), *models]) == 1
    assert main(["fleet", "--urls", _write_fleet(tmp_path, [shop_fleet[0], shop_fleet[2]]), *models]) == 1
    capsys.readouterr()
    assert main(["fleet", "--urls", _write_fleet(tmp_path, shop_fleet), *models, "--format", "json", "--changes"]) == 1
    shape = json.loads(capsys.readouterr().out)
    assert set(shape) == {"models", "summary", "ok", "seconds", "databases"} and shape["ok"] is False
    assert shape["summary"]["unreachable"] == 2 and len(shape["databases"]) == len(shop_fleet)
    assert set(shape["databases"][0]) == set(FleetEntry.__dataclass_fields__)
    assert shape["databases"][1]["details"][0]["kind"] == "add_column"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        (["--urls", "/no/such/fleet.txt"], "cannot read the fleet file"),
        (["--models", "no_such_module:metadata"], "no_such_module"),
        (["--workers", "0"], "--workers"),
        (["--celery", "redis://127.0.0.1:6379/0"], "Celery"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    shop_fleet: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    needle: str,
) -> None:
    monkeypatch.setattr("schema_tools.commands.fleet.CELERY_MODULE", "schema_tools.no_such_celery_module")
    base = {"--urls": _write_fleet(tmp_path, shop_fleet[:1]), "--models": f"{HERE}:SHOP"}
    base |= dict(zip(arguments[::2], arguments[1::2], strict=True))
    assert main(["fleet", *[part for pair in base.items() for part in pair]]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and needle in error[0] and "Traceback" not in error[0]


def test_the_console_script_says_a_missing_fleet_file_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schema-tools"), "fleet", "--urls", str(tmp_path / "nowhere.txt")],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "nowhere.txt" in result.stderr and "Traceback" not in result.stderr


def test_alembic_config_objects_are_accepted_as_the_config(tmp_path: Path) -> None:
    at_head = f"sqlite:///{tmp_path / 'head.db'}"
    upgrade_database(at_head)
    report = fleet([at_head], MANAGEMENT, config=alembic_config(PROJECT_ROOT / "alembic.ini"), workers=1)
    assert report.ok and report.entries[0].head is not None
