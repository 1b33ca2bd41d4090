"""backup() and restore(): consistent copies per backend (SQLite backup API, pg_dump, mysqldump), never `cp`."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from .connect import default_url, mask_text, parse_url, sqlite_path, sync_url
from .errors import BackupError, DatabaseNotFound
from .sources import describe

# The client tools each server backend needs, and the Debian package that brings them.
TOOLS = {
    "postgresql": (("pg_dump", "pg_restore"), "postgresql-client"),
    "mysql": (("mysqldump", "mysql"), "mariadb-client"),
}


@dataclass(frozen=True)
class Backup:
    """A backup file and what it holds: the backend, its size and the tables' row counts at backup time."""

    path: Path
    backend: str
    source: str
    bytes: int
    rows: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        total = sum(count for _, count in self.rows)
        return (
            f"backup of {self.source} ({self.backend}) at {self.path.name}: {self.bytes} bytes, "
            f"{len(self.rows)} tables, {total} rows"
        )


def _backend(url: URL) -> str:
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def _row_counts(url: URL) -> tuple[tuple[str, int], ...]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            names = sorted(sa.inspect(connection).get_table_names())
            counts = []
            for name in names:
                query = sa.select(sa.func.count()).select_from(sa.table(name))
                counts.append((name, int(connection.execute(query).scalar_one())))
        return tuple(counts)
    finally:
        engine.dispose()


def _tool(name: str, backend: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = TOOLS[backend][1]
        raise BackupError(f"{name} not found on PATH: install it ('apt-get install {package}') to back up {backend}")
    return path


def _client_env(url: URL) -> dict[str, str]:
    """Passwords go to the tools through their environment variables, never on a command line."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD" if _backend(url) == "postgresql" else "MYSQL_PWD"] = str(url.password)
    return env


def _run(argv: list[str], url: URL, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    result = subprocess.run(argv, env=_client_env(url), stderr=subprocess.PIPE, check=False, **kwargs)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(argv[0]).name} failed: {mask_text(message[-1] if message else 'no output', url)}")
    return result


def _pg_args(url: URL) -> list[str]:
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    return args


def _mysql_args(url: URL) -> list[str]:
    args = ["-h", url.host or "localhost", "-P", str(url.port or 3306), "--protocol=tcp"]
    if url.username:
        args += ["-u", url.username]
    return args


def backup(url: str | URL | None = None, path: str | os.PathLike[str] | None = None) -> Backup:
    """Back up the database to `path` (default: next to a SQLite file, else in the working directory).

    SQLite uses the online backup API, so rows still in the -wal file and rows committed while it runs
    are in the copy; PostgreSQL uses pg_dump's custom format; MySQL/MariaDB a mysqldump SQL file.
    """
    parsed = sync_url(parse_url(url or default_url()))
    backend = _backend(parsed)
    if backend == "sqlite":
        source = sqlite_path(parsed)
        if source is None or not source.is_file():
            raise DatabaseNotFound(f"SQLite database file not found: {source}: nothing to back up")
        target = Path(path) if path else source.with_name(f"{source.name}.backup")
        if target.exists():
            target.unlink()
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader, sqlite3.connect(target) as writer:
            reader.backup(writer)
        reader.close()
        writer.close()
    elif backend == "postgresql":
        target = Path(path) if path else Path(f"{parsed.database}.dump")
        dump = _tool("pg_dump", backend)
        _run(
            [dump, *_pg_args(parsed), "--format=custom", "--no-owner", "-f", str(target), parsed.database or ""], parsed
        )
    elif backend == "mysql":
        target = Path(path) if path else Path(f"{parsed.database}.sql")
        dump = _tool("mysqldump", backend)
        with open(target, "wb") as out:
            _run(
                [dump, *_mysql_args(parsed), "--single-transaction", "--routines", "--triggers", parsed.database or ""],
                parsed,
                stdout=out,
            )
    else:
        raise BackupError(f"backups of {backend} databases are not supported: use sqlite, postgresql or mysql")
    return Backup(target.resolve(), backend, describe(parsed), target.stat().st_size, _row_counts(
        sa.make_url(f"sqlite:///{target}") if backend == "sqlite" else parsed
    ))  # fmt: skip


def restore(backup_path: str | os.PathLike[str] | Backup, url: str | URL | None = None) -> None:
    """Replace the database's contents with the backup's: schema, rows and alembic_version."""
    path = backup_path.path if isinstance(backup_path, Backup) else Path(backup_path)
    if not path.is_file():
        raise BackupError(f"backup file not found: {path}")
    parsed = sync_url(parse_url(url or default_url()))
    backend = _backend(parsed)
    if backend == "sqlite":
        target = sqlite_path(parsed)
        if target is None:
            raise BackupError("cannot restore into an in-memory SQLite database: give a file URL")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader, sqlite3.connect(target) as writer:
            reader.backup(writer)
        reader.close()
        writer.close()
    elif backend == "postgresql":
        tool = _tool("pg_restore", backend)
        _drop_all_postgres(parsed)
        _run([tool, *_pg_args(parsed), "--no-owner", "--exit-on-error", "-d", parsed.database or "", str(path)], parsed)
    elif backend == "mysql":
        tool = _tool("mysql", backend)
        _drop_all_mysql(parsed)
        with open(path, "rb") as dump:
            _run([tool, *_mysql_args(parsed), parsed.database or ""], parsed, stdin=dump)
    else:
        raise BackupError(f"restoring {backend} databases is not supported")


def _drop_all_postgres(url: URL) -> None:
    """An empty public schema, so the restore leaves no table the backup did not have."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def _drop_all_mysql(url: URL) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for name in sa.inspect(connection).get_table_names():
                connection.exec_driver_sql(f"DROP TABLE `{name.replace('`', '``')}`")
            connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    finally:
        engine.dispose()
