"""Scratch copies of the embedded database, so notebooks and labs never change the real one."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.pool import NullPool

from .connect import parse_url, sqlite_path, sync_url
from .settings import alembic_config, project_root

_SCRATCH_DIRS: list[str] = []


def _scratch_dir() -> Path:
    directory = tempfile.mkdtemp(prefix="schema_tools_scratch_")
    _SCRATCH_DIRS.append(directory)
    return Path(directory)


@atexit.register
def _remove_scratch_dirs() -> None:
    for directory in _SCRATCH_DIRS:
        shutil.rmtree(directory, ignore_errors=True)


def embedded_url() -> sa.URL:
    """The management server's embedded SQLite database, resolved against the project, as a sync URL."""
    from management_server.core.config import DEFAULT_DATABASE_URL

    url = sync_url(DEFAULT_DATABASE_URL)
    path = Path(url.database or "freqtrade.db")
    if not path.is_absolute():
        path = project_root() / path
    return url.set(database=str(path))


def upgraded_database(revision: str = "head", *, name: str = "freqtrade.db") -> str:
    """A new SQLite database in a scratch directory, upgraded to `revision` (removed at exit)."""
    url = sa.make_url(f"sqlite:///{_scratch_dir() / name}")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        command.upgrade(alembic_config(connection=engine), revision)
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


def scratch_copy(url: str | sa.URL | None = None, *, name: str = "freqtrade.db") -> str:
    """A consistent copy of a SQLite database (default: the embedded one) in a scratch directory.

    Uses SQLite's online backup API, so rows still in the -wal file are copied too (cp would miss
    them). When the source does not exist yet, the copy is a new database upgraded to head.
    """
    source = sync_url(url) if url is not None else embedded_url()
    if source.get_backend_name() != "sqlite":
        raise ValueError("scratch_copy copies SQLite databases; use a scratch server database for others")
    path = sqlite_path(source)
    if path is None or not path.is_file():
        return upgraded_database(name=name)
    target = _scratch_dir() / name
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)
    reader.close()
    writer.close()
    return f"sqlite:///{target}"


FRESH_DATABASE_ENV = "SCHEMA_TOOLS_FRESH_DATABASE"


def notebook_database() -> str:
    """$DATABASE_URL when the person set one (they asked for it), else a scratch copy of the embedded DB.

    With SCHEMA_TOOLS_FRESH_DATABASE=1 (nbval and `make notebooks`) it is a new database at head
    instead, so stored outputs never depend on what a developer's freqtrade.db happens to hold.
    """
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        parse_url(explicit)
        return explicit
    if os.environ.get(FRESH_DATABASE_ENV) == "1":
        return upgraded_database()
    return scratch_copy()


def scratch_project() -> Config:
    """An Alembic config over a throwaway copy of alembic.ini and alembic/: try merges and branches safely."""
    root = _scratch_dir() / "project"
    source = project_root()
    root.mkdir()
    shutil.copy(source / "alembic.ini", root / "alembic.ini")
    shutil.copytree(source / "alembic", root / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    return alembic_config(root / "alembic.ini", quiet=True)
