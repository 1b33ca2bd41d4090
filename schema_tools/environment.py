"""What alembic/env.py runs: open the connection, make each migration atomic where the backend can, migrate safely."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from .checksums import record_checksum
from .cold_diff import fast_autogenerate
from .config import project_of, resolve_sqlite_path
from .connect import is_async_url, parse_url, sync_url
from .dialects import backend_of
from .dialects.sqlite_ddl import ForeignKeyViolation
from .event_loop import off_the_running_loop
from .lock import migration_lock
from .scripts import check_scripts
from .settings import compare_options

__all__ = [
    "ForeignKeyViolation",
    "database_url",
    "run_migrations",
    "run_migrations_offline",
    "run_migrations_online",
    "run_on_connection",
]


def database_url(context: EnvironmentContext) -> str | URL:
    """The URL to migrate: config.attributes["url"] (programmatic), `-x url=...`, the app's URL variable
    ($DATABASE_URL unless [tool.schema-tools] names another), then alembic.ini's sqlalchemy.url."""
    config = context.config
    project = project_of(config)
    if config.attributes.get("url"):
        return str(config.attributes["url"])
    x_arguments = context.get_x_argument(as_dictionary=True)
    if x_arguments.get("url"):
        return resolve_sqlite_path(parse_url(x_arguments["url"]), project.root)
    return project.database_url()


def _configure_and_run(
    context: EnvironmentContext, connection: Connection, target_metadata: sa.MetaData, **extra: Any
) -> None:
    callbacks = [*extra.pop("on_version_apply", []), record_checksum]
    callbacks.extend(context.config.attributes.get("on_version_apply", []))
    # Alembic takes a list of on_version_apply callbacks, though its annotation names one.
    options: dict[str, Any] = {**compare_options(connection.dialect.name), **extra, "on_version_apply": callbacks}
    options = fast_autogenerate(connection, target_metadata, **options)  # autogenerate skips unchanged tables
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_on_connection(context: EnvironmentContext, connection: Connection, target_metadata: sa.MetaData) -> None:
    """Migrate through `connection` holding the migration lock; where the backend needs it (SQLite) each
    migration is made atomic and foreign-key checked."""
    attributes = context.config.attributes
    if attributes.get("external_transaction"):  # a draft's autogenerate inside the caller's read-only transaction
        _configure_and_run(context, connection, target_metadata)
        return
    if attributes.get("migration_lock_held"):  # schema-tools' guarded upgrade took the lock for the whole run
        _run_locked(context, connection, target_metadata)
        return
    with migration_lock(connection):
        _run_locked(context, connection, target_metadata)


def _run_locked(context: EnvironmentContext, connection: Connection, target_metadata: sa.MetaData) -> None:
    with backend_of(connection).migration_options(connection) as extra:
        _configure_and_run(context, connection, target_metadata, **extra)


def _run_async(context: EnvironmentContext, engine: AsyncEngine, target_metadata: sa.MetaData, dispose: bool) -> None:
    async def migrate() -> None:
        try:
            async with engine.connect() as connection:
                await connection.run_sync(lambda sync: run_on_connection(context, sync, target_metadata))
                await connection.commit()
        finally:
            if dispose:
                await engine.dispose()

    # asyncio.run, also from inside a running loop (Jupyter, pytest-asyncio), by using a worker thread.
    off_the_running_loop(lambda: asyncio.run(migrate()))


def _run_sync(context: EnvironmentContext, engine: Engine, target_metadata: sa.MetaData) -> None:
    with engine.connect() as connection:
        run_on_connection(context, connection, target_metadata)
        if connection.in_transaction():
            connection.commit()


def run_migrations_online(context: EnvironmentContext, target_metadata: sa.MetaData, url: str | URL) -> None:
    """Migrate a Connection or Engine from config.attributes["connection"], or else the URL (sync or async)."""
    connectable = context.config.attributes.get("connection")
    if isinstance(connectable, Connection):
        run_on_connection(context, connectable, target_metadata)
    elif isinstance(connectable, Engine):
        _run_sync(context, connectable, target_metadata)
    elif isinstance(connectable, AsyncEngine):
        _run_async(context, connectable, target_metadata, dispose=False)
    elif isinstance(connectable, AsyncConnection):
        raise TypeError("pass an AsyncEngine, an Engine or a Connection, not an AsyncConnection")
    elif is_async_url(url):
        _run_async(context, create_async_engine(url, poolclass=NullPool), target_metadata, dispose=True)
    else:
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            _run_sync(context, engine, target_metadata)
        finally:
            engine.dispose()


def run_migrations_offline(context: EnvironmentContext, target_metadata: sa.MetaData, url: str | URL) -> None:
    """Emit the migration SQL without connecting (`alembic upgrade --sql`), one transaction per migration."""
    parsed = sync_url(parse_url(url))
    dialect = parsed.get_backend_name()
    context.configure(
        url=parsed,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
        transactional_ddl=backend_of(parsed).transactional_ddl,
        **compare_options(dialect),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(context: EnvironmentContext, target_metadata: sa.MetaData) -> None:
    """The whole of env.py's work: offline or online, for any backend and driver.

    config.attributes["target_metadata"] replaces the models' metadata, for programmatic autogenerate runs.
    """
    check_scripts(context.config)  # damaged revision files are named before any connection is opened
    target_metadata = context.config.attributes.get("target_metadata") or target_metadata
    url = database_url(context)
    if context.is_offline_mode():
        run_migrations_offline(context, target_metadata, url)
    else:
        run_migrations_online(context, target_metadata, url)
