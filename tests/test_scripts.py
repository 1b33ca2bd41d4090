"""Damaged revision scripts are named, one line each, before any database connection is opened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.errors import RevisionError
from schema_tools.migrate import upgrade
from schema_tools.scripts import check_scripts
from schema_tools.status import status
from tests.support_project import HEAD, Project


def damaged(tmp_path: Path, name: str, text: str) -> Project:
    project = Project(tmp_path / "project")
    (project.versions / name).write_text(text)
    return project


CASES = {
    "syntax": (
        "2026_broken.py",
        'revision = "x1"\ndown_revision = "dd16cd167d19"\ndef upgrade(:\n',
        "syntax error at line 3",
    ),
    "no revision": ("2026_norev.py", 'down_revision = "dd16cd167d19"\n', "does not set `revision`"),
    "no down_revision": ("2026_nodown.py", 'revision = "x2"\n', "does not set `down_revision`"),
    "missing parent": (
        "2026_orphan.py",
        'revision = "x3"\ndown_revision = "ffffffffffff"\n',
        "names down_revision ffffffffffff",
    ),
    "duplicate id": (
        "2026_dup.py",
        f'revision = "{HEAD}"\ndown_revision = "2aefc3d92de3"\n',
        f"duplicate revision id {HEAD}",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_damaged_script_is_named_before_any_connection(case: str, tmp_path: Path) -> None:
    name, text, message = CASES[case]
    project = damaged(tmp_path, name, text)
    database = tmp_path / "never.db"
    with pytest.raises(RevisionError, match=message) as error:
        upgrade(f"sqlite:///{database}", config=project.config(), backup=False)
    assert name in str(error.value) or case == "duplicate id"
    assert not database.exists(), "no connection was opened"


def test_a_cycle_is_detected_before_the_database_is_touched(tmp_path: Path) -> None:
    project = Project(tmp_path / "project")
    first = next(project.versions.glob("*_440fdbe0fe66_*.py"))
    first.write_text(
        first.read_text().replace("down_revision: str | Sequence[str] | None = None", 'down_revision = "dd16cd167d19"')
    )
    with pytest.raises(RevisionError, match="Cycle is detected"):
        check_scripts(project.config())


def test_the_alembic_cli_names_the_broken_file_too(tmp_path: Path) -> None:
    project = damaged(tmp_path, "2026_broken.py", 'revision = "x1"\ndown_revision = "dd16cd167d19"\ndef upgrade(:\n')
    result = subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), "upgrade", "head"],
        cwd=project.root, env={**project.env, "DATABASE_URL": "sqlite:///./never.db"}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "2026_broken.py has a syntax error" in result.stderr
    assert not (project.root / "never.db").exists()


def test_conflicting_alembic_version_rows_are_refused(sqlite_url: sa.URL) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    from schema_tools.settings import alembic_config

    command.upgrade(alembic_config(connection=engine), "head")
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('55221d9084c8')"))
    engine.dispose()
    with pytest.raises(RevisionError, match="conflicting rows: 55221d9084c8 is an ancestor of dd16cd167d19"):
        status(sqlite_url)


def test_the_repository_scripts_pass_the_check() -> None:
    graph = check_scripts()
    assert graph[HEAD] == ("2aefc3d92de3",) and graph["440fdbe0fe66"] == ()
