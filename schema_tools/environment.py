"""What alembic/env.py runs: open the connection, make SQLite DDL transactional, and migrate safely."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from .connect import is_async_url, parse_url, sync_url
from .settings import compare_options


class ForeignKeyViolation(RuntimeError):
    """A migration step left rows whose foreign keys point nowhere; the step is rolled back."""


def database_url(context: Any) -> str | URL:
    """The URL to migrate: config.attributes["url"] (programmatic), `-x url=...`, the app's URL variable
    ($DATABASE_URL unless [tool.schema-tools] names another), then alembic.ini's sqlalchemy.url."""
    from .config import project_of, resolve_sqlite_path

    config = context.config
    project = project_of(config)
    if config.attributes.get("url"):
        return str(config.attributes["url"])
    x_arguments = context.get_x_argument(as_dictionary=True)
    if x_arguments.get("url"):
        return resolve_sqlite_path(parse_url(x_arguments["url"]), project.root)
    return project.database_url()


def _fk_check(connection: Connection) -> None:
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if rows:
        tables = sorted({f"{row[0]} -> {row[2]}" for row in rows})
        raise ForeignKeyViolation(
            f"{len(rows)} rows violate foreign keys after this migration ({', '.join(tables)}): step rolled back"
        )


@contextmanager
def sqlite_transactional_ddl(connection: Connection) -> Iterator[Callable[..., None]]:
    """Make pysqlite run each migration inside a real BEGIN..COMMIT, with foreign_keys OFF during it.

    pysqlite autocommits DDL, so a failing migration would stay half-applied (SQLAlchemy's documented
    recipe: isolation_level=None plus an explicit BEGIN). `PRAGMA foreign_keys` is ignored inside a
    transaction, so it is switched off here, before BEGIN: with it on, a batch rebuild of a parent table
    deletes every child row through ON DELETE CASCADE. Yields an on_version_apply callback that runs
    `PRAGMA foreign_key_check` inside each migration's transaction, so a violating step is rolled back.
    """
    if connection.in_transaction():
        connection.commit()
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    previous_isolation = dbapi_connection.isolation_level
    foreign_keys_were_on = bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())
    connection.commit()
    dbapi_connection.isolation_level = None
    connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    connection.commit()

    def emit_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    event.listen(connection, "begin", emit_begin)
    try:
        yield lambda ctx, **_: _fk_check(ctx.connection)
    finally:
        event.remove(connection, "begin", emit_begin)
        if connection.in_transaction():
            connection.rollback()
        if foreign_keys_were_on:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()
        dbapi_connection.isolation_level = previous_isolation


def _configure_and_run(context: Any, connection: Connection, target_metadata: sa.MetaData, **extra: Any) -> None:
    from .checksums import record_checksum

    options = compare_options(connection.dialect.name)
    callbacks = [*extra.pop("on_version_apply", []), record_checksum]
    callbacks.extend(context.config.attributes.get("on_version_apply", []))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=True,
        on_version_apply=callbacks,
        **options,
        **extra,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on_connection(context: Any, connection: Connection, target_metadata: sa.MetaData) -> None:
    """Migrate through `connection` holding the migration lock; on SQLite each migration is atomic and
    foreign-key checked."""
    attributes = context.config.attributes
    if attributes.get("external_transaction"):  # a draft's autogenerate inside the caller's read-only transaction
        _configure_and_run(context, connection, target_metadata)
        return
    if attributes.get("migration_lock_held"):  # schema-tools' guarded upgrade took the lock for the whole run
        _run_locked(context, connection, target_metadata)
        return
    from .lock import migration_lock

    with migration_lock(connection):
        _run_locked(context, connection, target_metadata)


def _run_locked(context: Any, connection: Connection, target_metadata: sa.MetaData) -> None:
    if connection.dialect.name == "sqlite":
        with sqlite_transactional_ddl(connection) as fk_check:
            _configure_and_run(
                context, connection, target_metadata, transactional_ddl=True, on_version_apply=[fk_check]
            )
        return
    _configure_and_run(context, connection, target_metadata)


def _run_coroutine(coroutine_factory: Callable[[], Any]) -> None:
    """asyncio.run, also from inside a running loop (Jupyter, pytest-asyncio) by using a worker thread."""
    from .runner import off_the_running_loop

    off_the_running_loop(lambda: asyncio.run(coroutine_factory()))


def _run_async(context: Any, engine: AsyncEngine, target_metadata: sa.MetaData, dispose: bool) -> None:
    async def migrate() -> None:
        try:
            async with engine.connect() as connection:
                await connection.run_sync(lambda sync: run_on_connection(context, sync, target_metadata))
                await connection.commit()
        finally:
            if dispose:
                await engine.dispose()

    _run_coroutine(migrate)


def run_migrations_online(context: Any, target_metadata: sa.MetaData, url: str | URL) -> None:
    """Migrate a Connection or Engine from config.attributes["connection"], or else the URL (sync or async)."""
    connectable = context.config.attributes.get("connection")
    if isinstance(connectable, Connection):
        run_on_connection(context, connectable, target_metadata)
    elif isinstance(connectable, Engine):
        with connectable.connect() as connection:
            run_on_connection(context, connection, target_metadata)
            if connection.in_transaction():
                connection.commit()
    elif isinstance(connectable, AsyncEngine):
        _run_async(context, connectable, target_metadata, dispose=False)
    elif isinstance(connectable, AsyncConnection):
        raise TypeError("pass an AsyncEngine, an Engine or a Connection, not an AsyncConnection")
    elif is_async_url(url):
        _run_async(context, create_async_engine(url, poolclass=NullPool), target_metadata, dispose=True)
    else:
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                run_on_connection(context, connection, target_metadata)
                if connection.in_transaction():
                    connection.commit()
        finally:
            engine.dispose()


def run_migrations_offline(context: Any, target_metadata: sa.MetaData, url: str | URL) -> None:
    """Emit the migration SQL without connecting (`alembic upgrade --sql`), one transaction per migration."""
    parsed = sync_url(parse_url(url))
    dialect = parsed.get_backend_name()
    context.configure(
        url=parsed,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
        transactional_ddl=dialect in ("sqlite", "postgresql"),
        **compare_options(dialect),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(context: Any, target_metadata: sa.MetaData) -> None:
    """The whole of env.py's work: offline or online, for any backend and driver.

    config.attributes["target_metadata"] replaces the models' metadata, for programmatic autogenerate runs.
    """
    from .scripts import check_scripts

    check_scripts(context.config)  # damaged revision files are named before any connection is opened
    target_metadata = context.config.attributes.get("target_metadata") or target_metadata
    url = database_url(context)
    if context.is_offline_mode():
        run_migrations_offline(context, target_metadata, url)
    else:
        run_migrations_online(context, target_metadata, url)
