"""Every `$ alembic ...` line of alembic/README.md, run in order by the real CLI on a scratch database."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support_project import ALL_REVISIONS, HEAD, Project

GUIDE = Path(__file__).resolve().parent.parent / "alembic" / "README.md"


def guide_commands() -> list[str]:
    """The shell lines of the guide's console blocks, comments stripped, in order."""
    lines = []
    for block in re.findall(r"```console\n(.*?)```", GUIDE.read_text(), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                lines.append(line[2:].split("  #")[0].strip())
    return lines


def _add_region_to_bots(project: Project) -> None:
    models = project.root / "management_server" / "models" / "models.py"
    text = models.read_text()
    anchor = "    stake_currency: Mapped[str | None] = mapped_column(String(10))\n"
    assert anchor in text
    models.write_text(text.replace(anchor, anchor + "    region: Mapped[str | None] = mapped_column(String(20))\n"))


def _branch_off_head(project: Project) -> None:
    """A second head, as when two people write revisions on different branches."""
    (project.versions / "2026_11_24_b2b2b2b2b2b2_parallel_change.py").write_text(
        f'"""a parallel change\n\nRevision ID: b2b2b2b2b2b2\nRevises: {HEAD}\n"""\n\n'
        f'revision = "b2b2b2b2b2b2"\ndown_revision = "{HEAD}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )


def _check_step(project: Project, line: str, result: subprocess.CompletedProcess[str]) -> None:
    """What each command must have done, judged from the database and the files, not from log text."""
    words = line.split()
    if line.startswith("alembic upgrade") and "--sql" not in words:
        expected = {"440fdbe0fe66": "440fdbe0fe66", "+1": "55221d9084c8", "head": HEAD}[words[2]]
        assert project.revision() == expected
    elif line == "alembic downgrade -1":
        assert project.revision() == "2aefc3d92de3"
        assert "ip_address" not in project.columns("audit_logs")
    elif line == "alembic downgrade 55221d9084c8":
        assert project.revision() == "55221d9084c8"
        assert "stake_amount" not in project.columns("bots")
    elif line == "alembic downgrade base":
        assert project.revision() is None
        assert project.tables() <= {"alembic_version", "schema_tools_applied"}
    elif line == "alembic current":
        assert project.revision() in result.stdout
    elif line == "alembic heads":
        assert f"{HEAD} (head)" in result.stdout
    elif line == "alembic history --verbose":
        assert all(f"Rev: {revision}" in result.stdout for revision in ALL_REVISIONS)
    elif line == "alembic check":
        assert project.revision() == HEAD
    elif "--sql" in words:
        sql = result.stdout or (project.root / "upgrade.sql").read_text()
        assert project.revision() == HEAD, "offline SQL must not touch the database"
        if words[1] == "downgrade":
            assert "DROP INDEX ix_audit_logs_http_method" in sql and "CREATE TABLE users" not in sql
        elif words[2].startswith("5d6c6191eec0:"):
            assert "ALTER TABLE audit_logs ADD COLUMN ip_address" in sql and "CREATE TABLE users" not in sql
        else:
            assert "CREATE TABLE users" in sql and "CREATE INDEX ix_audit_logs_path" in sql
    elif "--autogenerate" in words:
        (new,) = project.new_files()
        text = new.read_text()
        assert 'add_column(sa.Column("region", sa.String(length=20), nullable=True))' in text
        assert 'batch_alter_table("bots"' in text  # render_as_batch on SQLite
        assert subprocess.run([sys.executable, "-m", "ruff", "format", "--check", str(new)]).returncode == 0
    elif line.startswith("alembic revision -m"):
        newest = max(project.new_files(), key=lambda p: p.stat().st_mtime_ns)
        text = newest.read_text()
        assert "backfill bot status" in text and "op." not in text  # an empty revision to fill in by hand
    elif line.startswith("alembic merge"):
        merge = max(project.new_files(), key=lambda p: p.stat().st_mtime_ns)
        assert "merge heads" in merge.read_text() and "b2b2b2b2b2b2" in merge.read_text()
        heads = project.run("alembic heads").stdout.strip().splitlines()
        assert len(heads) == 1


SETUP: dict[str, Callable[[Project], None]] = {
    'alembic revision --autogenerate -m "add bot region"': _add_region_to_bots,
    'alembic merge -m "merge heads" heads': _branch_off_head,
}


def test_the_guide_covers_the_whole_workflow() -> None:
    commands = " ; ".join(guide_commands())
    for needle in (
        "upgrade head", "upgrade +1", "upgrade 440fdbe0fe66", "downgrade -1", "downgrade 55221d9084c8",
        "downgrade base", "current", "history --verbose", "--sql", "check", "revision --autogenerate -m",
        "revision -m", "merge",
    ):  # fmt: skip
        assert needle in commands, needle


def test_every_command_in_the_guide_runs_as_documented(tmp_path: Path) -> None:
    project = Project(tmp_path)
    ran = 0
    for line in guide_commands():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            project.env[name] = value
            continue
        if line in SETUP:
            SETUP[line](project)
        result = project.run(line)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        _check_step(project, line, result)
        ran += 1
    assert ran == len([line for line in guide_commands() if line.startswith("alembic ")])


def test_check_fails_when_a_model_changed_and_no_revision_covers_it(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.env["DATABASE_URL"] = "sqlite:///./scratch.db"
    assert project.run("alembic upgrade head").returncode == 0
    _add_region_to_bots(project)
    result = project.run("alembic check")
    assert result.returncode != 0
    assert "region" in result.stdout + result.stderr


def test_autogenerate_refuses_when_the_database_is_behind(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.env["DATABASE_URL"] = "sqlite:///./scratch.db"
    assert project.run("alembic upgrade 2aefc3d92de3").returncode == 0
    result = project.run('alembic revision --autogenerate -m "too early"')
    assert result.returncode != 0
    assert "Target database is not up to date" in result.stderr
    assert not project.new_files()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_the_cli_workflow_on_a_server_with_an_async_driver(backend: str, new_database, tmp_path: Path) -> None:
    url = new_database(backend)
    driver = {"postgresql": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}[backend]
    project = Project(tmp_path)
    project.env["DATABASE_URL"] = url.set(drivername=driver).render_as_string(hide_password=False)
    for line in ("alembic upgrade head", "alembic check", "alembic downgrade -1", "alembic upgrade +1"):
        result = project.run(line)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
    assert HEAD in project.run("alembic current").stdout
    assert project.run("alembic downgrade base").returncode == 0
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version", "schema_tools_applied"}
    engine.dispose()
