"""Backups: complete under a concurrent writer, and a restore gives back the same schema and rows."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.backup import backup, restore, verify_backup
from schema_tools.settings import alembic_config


def snapshot(url: sa.URL) -> tuple:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = sorted(inspector.get_table_names())
        schema = tuple((t, tuple(c["name"] for c in inspector.get_columns(t))) for t in tables)
        rows = tuple(
            (t, connection.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()) for t in tables
        )
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return schema, rows, version


def test_backup_and_restore_give_back_the_same_schema_rows_and_revision(db_url: sa.URL, tmp_path: Path) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    command.upgrade(alembic_config(connection=engine), "head")
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO audit_logs (username, action, path) VALUES ('admin', 'login', '/ü')"))
    before = snapshot(db_url)
    made = backup(db_url, tmp_path / "db.backup")
    assert made.path.exists() and made.bytes > 0
    assert dict(made.rows)["users"] == 2
    with engine.begin() as connection:  # damage: a dropped table and deleted rows
        connection.execute(sa.text("DELETE FROM audit_logs"))
        connection.execute(sa.text("DROP TABLE hyperopt_results"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '440fdbe0fe66'"))
    engine.dispose()
    restore(made, db_url)
    assert snapshot(db_url) == before


def test_a_sqlite_backup_taken_while_another_process_writes_holds_every_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE ticks (id INTEGER PRIMARY KEY, n INTEGER)")
    setup.commit()
    setup.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", (
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(path)!r}); c.execute('PRAGMA wal_autocheckpoint=0')\n"
            "for i in range(4000):\n"
            "    c.execute('INSERT INTO ticks (n) VALUES (?)', (i,)); c.commit()\n"
            "    if i == 500: print('ready', flush=True)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert writer.stdout.readline().strip() == "ready"
    committed_before = sqlite3.connect(path).execute("SELECT count(*) FROM ticks").fetchone()[0]
    made = backup(f"sqlite:///{path}", tmp_path / "busy.backup")
    writer.wait(timeout=60)
    copy = sqlite3.connect(made.path)
    rows = copy.execute("SELECT count(*), max(id) FROM ticks").fetchone()
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert rows[0] >= committed_before >= 501
    assert rows[0] == rows[1], "a consistent prefix of the writer's commits, no gaps"


def test_a_missing_dump_tool_is_one_line_naming_the_package(postgres_url: sa.URL, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "schema_tools.cli", "backup", "--url", str(postgres_url), "-o", str(tmp_path / "x")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "pg_dump not found" in result.stderr and "postgresql-client" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_backup_without_an_output_path_gets_a_new_name_each_time_beside_the_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    connection.execute("INSERT INTO alembic_version VALUES ('abc123')")
    connection.commit()
    connection.close()
    first = backup(f"sqlite:///{database}")
    second = backup(f"sqlite:///{database}")
    assert first.path != second.path and first.path.parent == second.path.parent == tmp_path
    assert first.path.name.startswith("app.abc123.") and first.path.name.endswith(".db")
    assert first.revision == second.revision == ("abc123",)
    assert "revision abc123" in str(first)


def test_a_backup_of_a_wal_database_is_one_self_contained_file_that_restores_into_a_new_file(tmp_path: Path) -> None:
    source = tmp_path / "wal.db"
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE ticks (n INTEGER)")
    writer.executemany("INSERT INTO ticks VALUES (?)", [(i,) for i in range(500)])
    writer.commit()  # every row is still in wal.db-wal, none in wal.db
    made = backup(f"sqlite:///{source}", tmp_path / "copy.backup")
    writer.close()
    assert made.path.read_bytes()[18:20] == b"\x01\x01", "a rollback-journal file: no -wal needed to read it"
    assert verify_backup(made.path) == "sqlite"
    fresh = tmp_path / "fresh.db"
    restore(made, f"sqlite:///{fresh}")
    check = sqlite3.connect(fresh)
    assert check.execute("SELECT count(*) FROM ticks").fetchone() == (500,)
    check.close()
