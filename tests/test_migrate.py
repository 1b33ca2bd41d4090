"""Guarded migrations: a failure midway is undone or reported exactly, drops need an explicit allow."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.backup import restore
from schema_tools.cli import main
from schema_tools.dialects import backend_of
from schema_tools.errors import DataLossRefused, MigrationFailed
from schema_tools.migrate import MigrationReport, downgrade, upgrade
from tests.support_project import HEAD, Project

FAILING = """
op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("bots", sa.Column("half_column", sa.String(10), nullable=True))
op.execute("UPDATE users SET full_name = 'changed'")
raise RuntimeError("boom: this migration fails halfway")
"""


def state(url: sa.URL) -> tuple:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = sorted(inspector.get_table_names())
        bots = sorted(c["name"] for c in inspector.get_columns("bots"))
        names = sorted(connection.execute(sa.text("SELECT coalesce(full_name, '') FROM users")).scalars())
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return tables, bots, names, version


def test_a_successful_upgrade_reports_the_revisions_and_the_backup(sqlite_url: sa.URL, tmp_path: Path) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    from schema_tools.settings import alembic_config

    command.upgrade(alembic_config(connection=engine), "55221d9084c8")
    engine.dispose()
    report = upgrade(sqlite_url, backup_dir=tmp_path / "backups")
    assert [s.revision for s in report.steps] == ["5d6c6191eec0", "2aefc3d92de3", HEAD]
    assert report.ok and report.backup is not None and report.backup.path.exists()
    assert report.backup.path.parent == tmp_path / "backups"
    assert state(sqlite_url)[3] == HEAD


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_a_migration_failing_midway_is_undone_or_reported(backend: str, new_database, tmp_path: Path) -> None:
    url = new_database(backend)
    project = Project(tmp_path / "project")
    project.add_revision("f0f0f0f0f0f0", HEAD, FAILING)
    engine = sa.create_engine(url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), HEAD)
    engine.dispose()
    before = state(url)

    # The guard rehearses the revision on a scratch database first: it fails there, so it cannot be judged.
    with pytest.raises(DataLossRefused, match="f0f0f0f0f0f0.*failed on a scratch.*boom"):
        upgrade(url, config=project.config(), backup_dir=tmp_path / "backups")
    assert state(url) == before, "a refused upgrade runs nothing"

    with pytest.raises(MigrationFailed, match="f0f0f0f0f0f0.*boom") as failure:
        upgrade(url, config=project.config(), backup_dir=tmp_path / "backups", allow_data_loss=True)
    report = failure.value.report  # the raised error carries the report itself, not through __cause__
    assert isinstance(report, MigrationReport) and report.backend == backend_of(url).name
    assert report.failed_revision == "f0f0f0f0f0f0" and not report.ok
    assert report.at == (HEAD,), "the message names the revision the database is really at"
    assert f"at revision {HEAD}" in str(failure.value)

    if backend in ("sqlite", "postgresql"):
        assert state(url) == before, "nothing of the failed revision remains"
        assert report.persisted == () and "left no change" in str(failure.value)
    else:
        # MariaDB commits each DDL statement: the report lists what persisted (schema before vs after),
        # not the statements sent (the UPDATE was rolled back, the failing one never ran).
        assert "+ table half_done" in report.persisted
        assert any(line.startswith("+ bots: column half_column") for line in report.persisted)
        assert not any("users" in line for line in report.persisted)
        assert "half_done" in state(url)[0]
        assert str(report.backup.path) in str(failure.value)
        restore(report.backup, url)
        assert state(url) == before


def test_a_destructive_revision_needs_an_explicit_allow(sqlite_url: sa.URL, tmp_path: Path) -> None:
    upgrade(sqlite_url, backup=False)
    with pytest.raises(DataLossRefused, match="drops column audit_logs"):
        downgrade(sqlite_url, "-1", backup_dir=tmp_path)
    assert state(sqlite_url)[3] == HEAD
    report = downgrade(sqlite_url, "-1", allow_data_loss=True, backup_dir=tmp_path)
    assert [s.revision for s in report.steps] == [HEAD]
    assert state(sqlite_url)[3] == "2aefc3d92de3"


def test_cli_upgrade_and_downgrade(sqlite_url: sa.URL, tmp_path: Path, capsys) -> None:
    url = str(sqlite_url)
    assert main(["upgrade", "--url", url, "--backup-dir", str(tmp_path)]) == 0
    assert "5 revision(s) applied" in capsys.readouterr().out
    assert main(["downgrade", "-1", "--url", url, "--backup-dir", str(tmp_path)]) == 2
    assert "would destroy data" in capsys.readouterr().err
    assert main(["downgrade", "-1", "--url", url, "--allow-data-loss", "--no-backup"]) == 0
    assert state(sqlite_url)[3] == "2aefc3d92de3"
