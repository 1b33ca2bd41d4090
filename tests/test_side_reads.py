"""SideReads: catalog statements on a second connection to the same database, or on the first when that fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from schema_tools.dialects.bulk_types import BulkCatalog
from schema_tools.dialects.mysql_bulk import reflect_all
from schema_tools.dialects.mysql_catalog import identity_row
from schema_tools.dialects.side_reads import SideReads
from tests.support_reflection import assert_exact

WHO = "SELECT CONNECTION_ID()"


@pytest.fixture
def url(new_database: Callable[[str], URL]) -> URL:
    url = new_database("mysql")
    metadata = sa.MetaData()
    parent = sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.ForeignKey(parent.c.id), index=True),
        sa.Column("code", sa.String(20), unique=True),
        sa.CheckConstraint("parent_id > 0", name="ck_child_id"),
    )
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    return url


def _counted(engine: sa.Engine) -> list[str]:
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    return statements


def test_the_rows_come_from_a_second_connection_to_the_same_database(url: URL) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    statements = _counted(engine)
    with engine.connect() as connection:
        mine = connection.exec_driver_sql(WHO).scalar_one()
        side = SideReads(connection, [WHO, "SELECT DATABASE()"], identity_row)
        (theirs,) = side.rows(WHO)
        assert list(side.rows("SELECT DATABASE()")) == [(url.database,)]
        assert list(side.rows("SELECT 1 + 1")) == [(2,)]  # not given to the side: run here
    engine.dispose()
    assert theirs[0] != mine
    assert statements == [WHO, "SELECT 1 + 1"]


def test_a_second_connection_reaching_another_database_is_not_used(url: URL) -> None:
    seen: list[object] = []

    def drifting(cursor: object) -> object:
        seen.append(identity_row(cursor))  # type: ignore[arg-type]
        return len(seen)  # the first connection's answer, then a different one for the second

    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        mine = connection.exec_driver_sql(WHO).scalar_one()
        side = SideReads(connection, [WHO], drifting)
        assert [tuple(row) for row in side.rows(WHO)] == [(mine,)]
    engine.dispose()
    assert len(seen) == 2


@pytest.fixture
def one_connection_user(url: URL) -> Iterator[URL]:
    admin = sa.create_engine(url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql("DROP USER IF EXISTS 'st_one'@'%%'", ())
        connection.exec_driver_sql("CREATE USER 'st_one'@'%%' WITH MAX_USER_CONNECTIONS 1", ())
        connection.exec_driver_sql(f"GRANT SELECT ON `{url.database}`.* TO 'st_one'@'%%'", ())
        connection.exec_driver_sql("GRANT PROCESS ON *.* TO 'st_one'@'%%'", ())  # InnoDB's foreign key views
    try:
        yield url.set(username="st_one", password=None)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql("DROP USER IF EXISTS 'st_one'@'%%'", ())
        admin.dispose()


def test_a_second_connection_the_server_refuses_leaves_the_catalog_to_the_first(
    url: URL, one_connection_user: URL
) -> None:
    # A real refusal: this user may hold one connection. The catalog still comes whole, read on the first.
    engine = sa.create_engine(one_connection_user, poolclass=NullPool)
    statements = _counted(engine)
    with engine.connect() as connection:
        catalog: BulkCatalog = reflect_all(connection, ())
        assert_exact(connection, catalog)
    engine.dispose()
    assert any("information_schema.STATISTICS" in sql for sql in statements)
    assert sorted(catalog.columns) == ["child", "parent"] and not catalog.unreadable
    assert catalog.check_constraints["child"][0]["name"] == "ck_child_id"


def test_the_catalog_read_alongside_is_the_inspectors(url: URL) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    statements = _counted(engine)
    with engine.connect() as connection:
        catalog = reflect_all(connection, ())
        assert_exact(connection, catalog)
    engine.dispose()
    assert not any("information_schema.STATISTICS" in sql for sql in statements), "read on the first connection"
    assert catalog.indexes["child"] and catalog.check_constraints["child"]


def test_an_async_engine_reads_the_catalog_on_its_own_connection_without_warnings(url: URL) -> None:
    # An async driver's pool connects on the event loop: a second connection from another thread would leave a
    # coroutine never awaited (a RuntimeWarning on the user's screen). Its statements run on the first.
    import asyncio
    import warnings

    from sqlalchemy.ext.asyncio import create_async_engine

    statements: list[str] = []

    async def read() -> BulkCatalog:
        engine = create_async_engine(url.set(drivername="mysql+aiomysql"))
        sa.event.listen(engine.sync_engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(lambda sync: reflect_all(sync, ()))
        finally:
            await engine.dispose()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        catalog = asyncio.run(read())
    assert not [str(warning.message) for warning in caught if issubclass(warning.category, RuntimeWarning)]
    assert sorted(catalog.columns) == ["child", "parent"] and not catalog.unreadable
    assert any("information_schema.STATISTICS" in sql for sql in statements)
