"""Scratch databases and projects, so notebooks and labs never change the app's real database or scripts."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config

from .config import alembic_config, find_project, project_of
from .dialects import backend_of
from .dialects.sqlite_files import MEMORY_URL, copy_sqlite, file_url, sqlite_path
from .engines import create_sync_engine, explain_connect_error, resolve_url
from .errors import ConfigurationError, ConnectionFailed
from .runner import migrate
from .urls import parse_url, sync_url

__all__ = [
    "copy_sqlite",
    "notebook_database",
    "prepare",
    "scratch_copy",
    "scratch_database",
    "scratch_project",
    "upgraded_database",
]

_SCRATCH_DIRS: list[str] = []
FRESH_DATABASE_ENV = "SCHEMA_TOOLS_FRESH_DATABASE"


def _scratch_dir() -> Path:
    directory = tempfile.mkdtemp(prefix="schema_tools_scratch_")
    _SCRATCH_DIRS.append(directory)
    return Path(directory)


@atexit.register
def _remove_scratch_dirs() -> None:
    for directory in _SCRATCH_DIRS:
        shutil.rmtree(directory, ignore_errors=True)


def upgraded_database(
    revision: str = "head",
    *,
    name: str = "scratch.db",
    config: Config | None = None,
    like: str | sa.URL | None = None,
) -> str:
    """A new database upgraded to `revision` through the app's env.py, removed at exit.

    A SQLite file in a scratch directory, or, when `like` is a server URL, a new database on that server
    (so a notebook on PostgreSQL compares PostgreSQL with PostgreSQL).
    """
    cfg = config if config is not None else alembic_config(quiet=True)
    server = sync_url(parse_url(like)) if like is not None else None
    if server is not None and not backend_of(server).file_based:
        url = _server_database(server)
    else:
        url = sa.make_url(file_url(_scratch_dir() / name))
    prepare(cfg, url)
    migrate(cfg, url, "upgrade", revision)
    return url.render_as_string(hide_password=False)


def prepare(config: Config, url: str | sa.URL) -> None:
    """Run the app's scratch-setup on a new, empty scratch database, as its own tools would before migrating."""
    project = project_of(config)
    if not project.scratch_setup:
        return
    engine = create_sync_engine(url)
    try:
        project.prepare_scratch(engine)
    finally:
        engine.dispose()


_SERVER_DATABASES: list[tuple[sa.URL, str]] = []


def _server_database(server: sa.URL) -> sa.URL:
    """A new empty database on `server`, dropped when the process exits."""
    url = _create_database(server, "st_lab")
    _SERVER_DATABASES.append((server, url.database or ""))
    return url


@atexit.register
def _drop_server_databases() -> None:
    for server, name in _SERVER_DATABASES:
        try:
            _drop_database(server, name)
        except Exception:  # the server went away: nothing left to clean here
            pass


def _create_database(server: sa.URL, prefix: str) -> sa.URL:
    """CREATE DATABASE <prefix>_<random> on `server`; a refusal is one line saying the user may not."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_sync_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    options = backend_of(server).create_database_options
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {admin.dialect.identifier_preparer.quote(name)}{options}")
    except sa.exc.DBAPIError as error:
        text = str(getattr(error, "orig", error)).lower()
        if "permission denied" in text or "access denied" in text or "(1044" in text:
            raise ConnectionFailed(
                f"cannot create a scratch database on {server.host or 'the server'}: the user may not CREATE "
                "DATABASE; grant it, or run against a server where it may"
            ) from None
        raise explain_connect_error(error, server) from None
    finally:
        admin.dispose()
    return server.set(database=name)


def _drop_database(server: sa.URL, name: str) -> None:
    admin = create_sync_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    options = backend_of(server).drop_database_options
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"DROP DATABASE IF EXISTS {admin.dialect.identifier_preparer.quote(name)}{options}"
            )
    finally:
        admin.dispose()


def scratch_copy(url: str | sa.URL | None = None, *, name: str | None = None) -> str:
    """A consistent copy of a SQLite database (default: the app's own) in a scratch directory.

    When the source file does not exist yet, the copy is a new database upgraded to head.
    """
    source = sync_url(resolve_url(url))
    if not backend_of(source).file_based:
        raise ConfigurationError(
            "scratch_copy copies SQLite databases: for a server database, use scratch_database(url)"
        )
    path = sqlite_path(source)
    if path is None or not path.is_file():
        return upgraded_database(name=name or (path.name if path else "scratch.db"))
    target = _scratch_dir() / (name or path.name)
    copy_sqlite(path, target)
    return file_url(target)


def notebook_database() -> str:
    """The database a notebook explores: the app's URL variable when set, else a scratch copy of its SQLite file.

    With SCHEMA_TOOLS_FRESH_DATABASE=1 (nbval and `make notebooks`) a SQLite database is a new one at
    head instead, so stored outputs never depend on what a developer's file happens to hold. A server
    database named by the app's configuration is used as it is (notebooks only read it).
    """
    project = find_project()
    explicit = os.environ.get(project.url_env)
    if explicit:
        return str(project.database_url(explicit).render_as_string(hide_password=False))
    configured = sync_url(project.database_url())
    if not backend_of(configured).file_based:
        return configured.render_as_string(hide_password=False)
    path = sqlite_path(configured)
    name = path.name if path else "scratch.db"
    if os.environ.get(FRESH_DATABASE_ENV) == "1":
        return upgraded_database(name=name)
    return scratch_copy(configured, name=name)


@contextmanager
def scratch_database(like: str | sa.URL | None = None) -> Iterator[sa.URL]:
    """An empty database of the same backend as `like`: a temporary SQLite file, or a new database on the
    same server (CREATE DATABASE; dropped afterwards). Nothing is ever created inside `like` itself."""
    url = sync_url(parse_url(like)) if like is not None else sa.make_url(MEMORY_URL)
    if backend_of(url).file_based:
        with tempfile.TemporaryDirectory(prefix="schema_tools_scratch_") as directory:
            yield sa.make_url(file_url(Path(directory) / "scratch.db"))
        return
    scratch = _create_database(url, "st_scratch")
    try:
        yield scratch
    finally:
        _drop_database(url, scratch.database or "")


def scratch_project(config: Config | None = None) -> Config:
    """An Alembic config over a throwaway copy of the app's migrations: try merges and branches safely."""
    source = config if config is not None else alembic_config(quiet=True)
    project = project_of(source)
    root = _scratch_dir() / "project"
    root.mkdir()
    location = Path(source.get_main_option("script_location") or "")
    if not location.is_dir():
        raise ConfigurationError(f"the migrations folder {location} does not exist: check script_location")
    shutil.copytree(location, root / location.name, ignore=shutil.ignore_patterns("__pycache__"))
    copy = project.alembic_config(quiet=True)
    copy.set_main_option("script_location", str(root / location.name).replace("%", "%%"))
    versions = source.get_version_locations_list() or []
    inside = [Path(v) for v in versions if location in Path(v).parents or Path(v) == location]
    if inside:
        moved = [str(root / location.name / Path(v).relative_to(location)) for v in inside]
        copy.set_main_option("version_locations", os.pathsep.join(moved).replace("%", "%%"))
    return copy
