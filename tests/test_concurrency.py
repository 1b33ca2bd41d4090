"""Two upgrades at once apply each revision once; a held lock times out cleanly; a killed upgrade recovers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support_project import HEAD, Project

# A data migration that takes a moment, so the two runs overlap, and inserts one row: a second run that
# applied it again would leave two.
SLOW_INSERT = """
op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)))
op.execute("INSERT INTO jobs (name) VALUES ('only once')")
import time
time.sleep(1.5)
"""


def start_upgrade(project: Project, url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "alembic"), "upgrade", "head"],
        cwd=project.root, env={**project.env, "DATABASE_URL": url, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_two_concurrent_upgrades_apply_each_revision_once(backend: str, new_database, tmp_path: Path) -> None:
    url = new_database(backend).render_as_string(hide_password=False)
    project = Project(tmp_path)
    project.add_revision("a0a0a0a0a0a0", HEAD, SLOW_INSERT)
    first, second = start_upgrade(project, url), start_upgrade(project, url)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM jobs")).scalar_one() == 1
        assert connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 2  # seeds applied once
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
            "a0a0a0a0a0a0"
        ]
    engine.dispose()


def test_a_held_lock_times_out_with_a_clear_error_and_runs_no_ddl(postgres_url: sa.URL, tmp_path: Path) -> None:
    from schema_tools.lock import PG_LOCK_KEY

    project = Project(tmp_path)
    holder = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with holder.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({PG_LOCK_KEY})").scalar()
        waiting = start_upgrade(
            project, postgres_url.render_as_string(hide_password=False), SCHEMA_TOOLS_LOCK_TIMEOUT="1"
        )
        _, stderr = waiting.communicate(timeout=60)
        assert waiting.returncode != 0
        assert "migration lock" in stderr and "nothing was run" in stderr
        tables = set(sa.inspect(connection).get_table_names())
    holder.dispose()
    assert tables <= {"alembic_version"}, "no DDL ran while waiting"


def test_a_dead_lock_holder_releases_the_lock(postgres_url: sa.URL, tmp_path: Path) -> None:
    """A session advisory lock dies with its session: a killed upgrade never leaves a stale lock."""
    project = Project(tmp_path)
    project.add_revision("a0a0a0a0a0a0", HEAD, SLOW_INSERT.replace("1.5", "30"))
    url = postgres_url.render_as_string(hide_password=False)
    stuck = start_upgrade(project, url)
    time.sleep(3)
    stuck.send_signal(signal.SIGKILL)
    stuck.wait(timeout=30)
    revision = project.versions / "2026_11_25_a0a0a0a0a0a0_test.py"
    revision.write_text(revision.read_text().replace("time.sleep(30)", "pass"))
    retry = start_upgrade(project, url, SCHEMA_TOOLS_LOCK_TIMEOUT="20")
    _, stderr = retry.communicate(timeout=120)
    assert retry.returncode == 0, stderr


def test_sigkill_during_a_sqlite_batch_upgrade_leaves_a_database_that_opens_and_retries(tmp_path: Path) -> None:
    project = Project(tmp_path / "project")
    db = tmp_path / "big.db"
    url = f"sqlite:///{db}"
    project.add_revision(
        "b0b0b0b0b0b0", HEAD,
        'op.create_table("big", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String(200)))',
    )  # fmt: skip
    project.add_revision(
        "b1b1b1b1b1b1", "b0b0b0b0b0b0",
        """
        with op.batch_alter_table("big", recreate="always") as batch_op:
            batch_op.alter_column("v", existing_type=sa.String(200), type_=sa.String(300))
        """,
    )  # fmt: skip
    assert subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), "upgrade", "b0b0b0b0b0b0"],
        cwd=project.root, env={**project.env, "DATABASE_URL": url}, capture_output=True,
    ).returncode == 0  # fmt: skip
    with sqlite3.connect(db) as connection:
        connection.executemany("INSERT INTO big (v) VALUES (?)", ((f"row {i} " * 10,) for i in range(300_000)))
    rows_before = 300_000
    upgrade = start_upgrade(project, url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it while the batch copy is in progress
        with sqlite3.connect(db, timeout=0.1) as probe:
            try:
                names = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
            except sqlite3.OperationalError:
                names = set()
        if Path(f"{db}-journal").exists() or "_alembic_tmp_big" in names:
            break
        time.sleep(0.05)
    os.kill(upgrade.pid, signal.SIGKILL)
    upgrade.wait(timeout=30)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not any(name.startswith("_alembic_tmp_") for name in names)
        assert connection.execute("SELECT count(*) FROM big").fetchone() == (rows_before,)
    retry = start_upgrade(project, url)
    _, stderr = retry.communicate(timeout=300)
    assert retry.returncode == 0, stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM big").fetchone() == (rows_before,)
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("b1b1b1b1b1b1",)


def test_sigkill_during_a_postgresql_upgrade_leaves_the_previous_revision_and_retries(
    postgres_url: sa.URL, tmp_path: Path
) -> None:
    project = Project(tmp_path / "project")
    url = postgres_url.render_as_string(hide_password=False)
    first = start_upgrade(project, url)
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    project.add_revision("c0c0c0c0c0c0", HEAD, SLOW_INSERT)
    upgrade = start_upgrade(project, url)
    engine = sa.create_engine(postgres_url, poolclass=NullPool)
    in_transaction = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it inside the slow revision, after its DDL and INSERT ran
        with engine.connect() as connection:
            if connection.execute(in_transaction).scalar():
                break
        time.sleep(0.05)
    os.kill(upgrade.pid, signal.SIGKILL)
    upgrade.wait(timeout=30)
    time.sleep(0.5)  # the server notices the dropped connection and rolls its transaction back
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert connection.execute(sa.text("SELECT to_regclass('jobs')")).scalar() is None
    retry = start_upgrade(project, url)
    _, stderr = retry.communicate(timeout=120)
    assert retry.returncode == 0, stderr
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "c0c0c0c0c0c0"
        assert connection.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 1
    engine.dispose()
