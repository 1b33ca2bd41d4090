"""`schema-tools diff`, `check` and `status`: exit codes, JSON, one-line errors, and no password ever shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.cli import main
from schema_tools.settings import alembic_config
from tests.support_project import upgrade_database as upgrade
from tests.support_roles import login_role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Every character that breaks naive URL handling or configparser interpolation.
SECRET = "s3cr%t@p:ss/w"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real console script in a subprocess, as a user runs it."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "schema-tools"), *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("schema-tools: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_diff_exits_0_at_head_and_1_with_changes(db_url: sa.URL) -> None:
    url = db_url.render_as_string(hide_password=False)
    upgrade(db_url)
    assert main(["diff", "--url", url]) == 0
    engine = sa.create_engine(db_url, poolclass=NullPool)
    command.downgrade(alembic_config(connection=engine), "-1")
    engine.dispose()
    assert main(["diff", "--url", url]) == 1


def test_diff_json_lists_changes_and_a_summary(sqlite_url: sa.URL, capsys: pytest.CaptureFixture[str]) -> None:
    upgrade(sqlite_url, "55221d9084c8")
    assert main(["diff", "--url", str(sqlite_url), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= {"changes", "summary"}
    kinds = {(c["kind"], c["table"], c["name"]) for c in payload["changes"]}
    assert ("add_column", "bots", "stake_amount") in kinds
    assert all({"kind", "table", "name", "risk"} <= set(c) for c in payload["changes"])
    assert payload["summary"]["changes"] == len(payload["changes"])


def test_check_is_a_ci_gate(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    clean = cli("check", "--url", str(sqlite_url))
    assert clean.returncode == 0, clean.stderr
    upgrade(sqlite_url, "head")
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    command.downgrade(alembic_config(connection=engine), "-1")
    engine.dispose()
    dirty = cli("check", "--url", str(sqlite_url))
    assert dirty.returncode == 1
    assert "ip_address" in dirty.stdout
    assert "check failed" in dirty.stderr


def test_status_exit_codes_follow_the_database_revision(sqlite_url: sa.URL, capsys) -> None:
    upgrade(sqlite_url, "5d6c6191eec0")
    assert main(["status", "--url", str(sqlite_url), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["state"] == "behind"
    assert [p["revision"] for p in payload["pending"]] == ["2aefc3d92de3", "dd16cd167d19"]
    upgrade(sqlite_url)
    assert main(["status", "--url", str(sqlite_url)]) == 0


def test_status_names_tables_the_models_lack(sqlite_url: sa.URL, capsys) -> None:
    upgrade(sqlite_url)
    assert main(["status", "--url", str(sqlite_url), "--metadata", "tests.test_cli_diff:PARTIAL_MODELS"]) == 0
    out = capsys.readouterr().out
    assert "hint:" in out
    assert "hyperopt_results" in out and "autogenerate would drop" in out


def _partial_models() -> sa.MetaData:
    from schema_tools.sources import copy_metadata

    metadata = copy_metadata()
    metadata.remove(metadata.tables["hyperopt_results"])
    return metadata


PARTIAL_MODELS = _partial_models()


# -- bad input: one line, exit 2, no traceback, no password ------------------------------------------


def test_a_database_stamped_with_an_unknown_revision_is_refused(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'deadbeef0000'"))
    engine.dispose()
    for command_name in ("status", "check"):
        assert_one_line_error(cli(command_name, "--url", str(sqlite_url)), "Can't locate revision deadbeef0000")


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert_one_line_error(cli("diff", "--url", f"sqlite:///{missing}"), "not found", str(missing))
    assert not missing.exists()


def test_an_unknown_driver_is_named() -> None:
    assert_one_line_error(cli("diff", "--url", "nosuchdb+nodriver://u:pw@localhost/db"), "nosuchdb+nodriver")


def test_a_metadata_target_that_cannot_be_imported_is_named(sqlite_url: sa.URL) -> None:
    upgrade(sqlite_url)
    assert_one_line_error(
        cli("diff", "--url", str(sqlite_url), "--metadata", "no_such_module:metadata"), "no_such_module"
    )


def test_a_refused_port_is_reported_without_the_password() -> None:
    url = f"postgresql+psycopg://someone:{quote(SECRET, safe='')}@127.0.0.1:1/db"
    result = cli("diff", "--url", url)
    assert_one_line_error(result, "127.0.0.1:1", "***")
    assert SECRET not in result.stderr + result.stdout
    assert quote(SECRET, safe="") not in result.stderr + result.stdout


def test_a_wrong_password_on_mariadb_is_one_masked_line(mysql_url: sa.URL) -> None:
    admin = sa.create_engine(mysql_url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql("DROP USER IF EXISTS 'st_secret'@'%%'", ())
        connection.exec_driver_sql("CREATE USER 'st_secret'@'%%' IDENTIFIED BY %s", (SECRET,))
    try:
        wrong = mysql_url.set(username="st_secret", password=SECRET + "x", host="127.0.0.1")
        result = cli("diff", "--url", wrong.render_as_string(hide_password=False))
        assert_one_line_error(result, "login refused", "***")
        assert SECRET not in result.stderr + result.stdout
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql("DROP USER IF EXISTS 'st_secret'@'%%'", ())
        admin.dispose()


def test_a_password_with_percent_at_and_colon_works_and_is_never_shown(postgres_url: sa.URL) -> None:
    upgrade(postgres_url)
    with login_role(postgres_url, SECRET, ["SELECT ON ALL TABLES IN SCHEMA public"], prefix="st_secret") as url:
        rendered = url.render_as_string(hide_password=False)
        assert SECRET not in rendered  # SQLAlchemy percent-escapes it in the URL
        for args in (("diff", "--url", rendered), ("status", "--url", rendered), ("check", "--url", rendered)):
            result = cli(*args)
            assert result.returncode == 0, result.stderr
            output = result.stdout + result.stderr
            assert SECRET not in output and quote(SECRET, safe="") not in output
        env_result = cli("diff", env={"DATABASE_URL": rendered})
        assert env_result.returncode == 0, env_result.stderr
        assert "***" in env_result.stdout or "matches" in env_result.stdout
        assert SECRET not in env_result.stdout + env_result.stderr


def test_reprs_and_errors_mask_the_password() -> None:
    from schema_tools.connect import explain_connect_error, mask_text, mask_url

    url = f"postgresql+psycopg://u:{quote(SECRET, safe='')}@db.example/x"
    assert SECRET not in mask_url(url) and "***" in mask_url(url)
    message = mask_text(f"failed for {url}: password authentication failed", url)
    assert SECRET not in message and quote(SECRET, safe="") not in message
    assert message == "failed for postgresql+psycopg://u:***@db.example/x: password authentication failed"
    error = explain_connect_error(Exception("connection refused"), url)
    assert SECRET not in str(error) and "***" in str(error)


@pytest.mark.unit
def test_the_console_script_exits_with_mains_code_after_the_exit_handlers() -> None:
    """`schema-tools` is cli.run: main's exit code, the exit handlers run and the output flushed, then no teardown."""
    import subprocess
    import sys
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["schema-tools"] == "schema_tools.cli:run"
    program = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('handler ran, frozen:', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['schema-tools'] + sys.argv[1:]\n"
        "print('buffered output', end='')\n"
        "from schema_tools.cli import run\n"
        "run()\n"
    )
    for argv, code in ((["--version"], 0), (["no-such-command"], 2)):
        done = subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == code, done.stderr
        assert done.stdout.startswith("buffered output")
        assert done.stdout.rstrip().endswith("handler ran, frozen: True")
