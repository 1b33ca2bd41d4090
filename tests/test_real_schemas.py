"""Schemas nobody here wrote: the sample databases and Freqtrade's own trade database across versions."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools.diff import diff
from schema_tools.sources import reflect_source

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SAMPLES = SHARED / "sampledbs"
FREQTRADE = SHARED / "freqtrade" / "dbs"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared sample data not found at {SHARED}")


def load_sqlite(tmp_path: Path, name: str) -> sa.URL:
    path = tmp_path / f"{name}.db"
    connection = sqlite3.connect(path)
    connection.executescript((SAMPLES / f"{name}.sql").read_text())
    connection.close()
    return sa.make_url(f"sqlite:///{path}")


def copy_freqtrade(tmp_path: Path, name: str) -> sa.URL:
    path = tmp_path / f"{name}.sqlite"
    shutil.copy(FREQTRADE / f"{name}.sqlite", path)
    path.chmod(0o644)
    return sa.make_url(f"sqlite:///{path}")


@pytest.mark.parametrize("name", ["chinook_sqlite", "sakila_sqlite", "northwind_sqlite"])
def test_a_reflected_sample_database_diffs_empty_against_itself(tmp_path: Path, name: str) -> None:
    url = load_sqlite(tmp_path, name)
    assert len(reflect_source(url).tables) >= 11
    result = diff(url, url)
    assert not result, str(result)


def test_pagila_on_postgresql_diffs_empty_against_itself(postgres_url: sa.URL) -> None:
    ddl = "\n".join(
        line for line in (SAMPLES / "pagila_postgresql.sql").read_text().splitlines() if "OWNER TO" not in line
    )
    engine = sa.create_engine(postgres_url, poolclass=NullPool)
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute(ddl)
        driver.commit()
    engine.dispose()
    reflected = reflect_source(postgres_url)
    assert {"film", "actor", "rental", "payment"} <= set(reflected.tables)
    assert not diff(postgres_url, postgres_url)


def test_freqtrade_2022_database_diffs_as_the_columns_freqtrade_later_added(tmp_path: Path) -> None:
    current = copy_freqtrade(tmp_path, "current_tradesv3")
    old = copy_freqtrade(tmp_path, "old_2022_tradesv3")
    result = diff(current, old)
    current_schema, old_schema = reflect_source(current), reflect_source(old)
    expected_tables = set(current_schema.tables) - set(old_schema.tables)
    assert {c.table for c in result if c.kind == "add_table"} == expected_tables
    for table in set(current_schema.tables) & set(old_schema.tables):
        new_columns = {c.name for c in current_schema.tables[table].columns} - {
            c.name for c in old_schema.tables[table].columns
        }
        assert {c.name for c in result if c.kind == "add_column" and c.table == table} == new_columns
    assert not diff(current, current)


def test_freqtrade_migrated_file_keeps_its_backup_tables_as_drops(tmp_path: Path) -> None:
    current = copy_freqtrade(tmp_path, "current_tradesv3")
    migrated = copy_freqtrade(tmp_path, "migrated_old_2022_tradesv3")
    leftovers = {name for name in reflect_source(migrated).tables if "_bak" in name}
    assert leftovers, "freqtrade's own migration leaves *_bak tables behind"
    drops = {c.table for c in diff(current, migrated) if c.kind == "remove_table"}
    assert leftovers <= drops
