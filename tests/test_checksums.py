"""Applied-revision checksums: recorded when a revision runs, forgotten when it is reverted, edits detected."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.checksums import EDITED, MISSING, OK, verify
from schema_tools.cli import main
from tests.support_project import ALL_REVISIONS, HEAD, Project


def test_each_applied_revision_is_recorded_and_a_reverted_one_forgotten(db_url: sa.URL, tmp_path) -> None:
    project = Project(tmp_path)
    engine = sa.create_engine(db_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "head")
    report = verify(db_url, config=project.config())
    assert [c.revision for c in report.checks] == list(ALL_REVISIONS)
    assert {c.status for c in report.checks} == {OK} and report.ok
    command.downgrade(project.config(connection=engine), "-1")
    with engine.connect() as connection:
        recorded = set(connection.execute(sa.text("SELECT revision FROM schema_tools_applied")).scalars())
    engine.dispose()
    assert recorded == set(ALL_REVISIONS) - {HEAD}


def test_an_applied_revision_edited_afterwards_is_detected(sqlite_url: sa.URL, tmp_path, capsys) -> None:
    project = Project(tmp_path)
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "head")
    engine.dispose()
    edited = next(project.versions.glob("*_5d6c6191eec0_*.py"))
    edited.write_text(edited.read_text().replace('"Regular Trader"', '"Someone Else"'))
    removed = next(project.versions.glob("*_dd16cd167d19_*.py"))
    text = removed.read_text()
    report = verify(sqlite_url, config=project.config())
    statuses = {c.revision: c.status for c in report.checks}
    assert statuses["5d6c6191eec0"] == EDITED and statuses["55221d9084c8"] == OK
    assert not report.ok
    config = str(project.root / "alembic.ini")
    assert main(["verify", "--url", str(sqlite_url), "--config", config]) == 1
    assert "5d6c6191eec0 (edited)" in capsys.readouterr().out
    removed.unlink()
    (project.versions / "renamed.py.txt").write_text(text)
    statuses = {c.revision: c.status for c in verify(sqlite_url, config=project.config()).checks}
    assert statuses["dd16cd167d19"] == MISSING
