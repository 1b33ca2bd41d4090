"""Scratch copies: complete (WAL rows included), independent of the source, and never the real database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from schema_tools.scratch import notebook_database, scratch_copy, upgraded_database
from schema_tools.status import status


def test_a_scratch_copy_holds_rows_still_in_the_wal_file(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    writer.executemany("INSERT INTO t (v) VALUES (?)", [(f"row {i}",) for i in range(500)])
    writer.commit()
    assert Path(f"{source}-wal").stat().st_size > 0  # the rows are still in the WAL, not the main file
    copy = scratch_copy(f"sqlite:///{source}")
    copied = sqlite3.connect(sa.make_url(copy).database)
    assert copied.execute("SELECT count(*) FROM t").fetchone() == (500,)
    assert copied.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copied.close()
    writer.close()


def test_writing_to_a_scratch_copy_leaves_the_source_unchanged(tmp_path: Path) -> None:
    source_url = upgraded_database()
    source_path = Path(sa.make_url(source_url).database)
    before = source_path.read_bytes()
    copy = scratch_copy(source_url)
    assert Path(sa.make_url(copy).database) != source_path
    engine = sa.create_engine(copy)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM users"))
    engine.dispose()
    assert source_path.read_bytes() == before


def test_a_missing_source_gives_a_new_database_at_head(tmp_path: Path) -> None:
    copy = scratch_copy(f"sqlite:///{tmp_path / 'absent.db'}")
    assert not (tmp_path / "absent.db").exists()
    assert status(copy).up_to_date


def test_notebooks_use_database_url_when_set_and_a_scratch_copy_otherwise(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.invalid/x")
    assert notebook_database() == "postgresql+psycopg://u@db.invalid/x"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("SCHEMA_TOOLS_FRESH_DATABASE", raising=False)
    url = notebook_database()
    assert url.startswith("sqlite:///") and "schema_tools_scratch_" in url
