"""A guarded upgrade's DDL gives up a lock wait after ddl-lock-timeout, never queues the site, and retries."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.errors import ConfigurationError, MigrationFailed
from schema_tools.migrate import upgrade
from tests.support_project import HEAD, Project

ADD = 'op.add_column("bots", sa.Column("waited_for", sa.String(10), nullable=True))'


def _project(url: sa.URL, root: Path) -> Project:
    project = Project(root)
    project.add_revision("a1a1a1a1a1a1", HEAD, ADD, 'op.drop_column("bots", "waited_for")')
    engine = sa.create_engine(url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), HEAD)
    engine.dispose()
    return project


def _version(url: sa.URL) -> str:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return str(found)


def _reader(url: sa.URL, done: list[int]) -> threading.Thread:
    """A third session's plain query on the table while the upgrade waits: it must not queue forever."""

    def read() -> None:
        engine = sa.create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            done.append(connection.execute(sa.text("SELECT count(*) FROM bots")).scalar_one())
        engine.dispose()

    thread = threading.Timer(0.2, read)
    thread.start()
    return thread


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_held_lock_fails_fast_in_one_line_and_a_released_one_is_retried(
    backend: str, new_database, tmp_path: Path
) -> None:
    url = new_database(backend)
    project = _project(url, tmp_path / "project")
    holder_engine = sa.create_engine(url, poolclass=NullPool)
    holder = holder_engine.connect()
    holder.execute(sa.text("SELECT count(*) FROM bots")).all()  # an open transaction that read the table
    done: list[int] = []
    reader = _reader(url, done)
    try:
        with pytest.raises(MigrationFailed) as failure:
            upgrade(url, config=project.config(), backup=False, ddl_lock_timeout=0.5, ddl_retries=1,
                    ddl_retry_backoff=0.1)  # fmt: skip
        reader.join(10)
        assert done, "a query on the table completed while the upgrade waited (the ALTER did not queue it)"
        message = str(failure.value)
        assert "\n" not in message
        assert "a1a1a1a1a1a1" in message and "bots" in message and "0.5s" in message and "2 attempts" in message
        assert f"at revision {HEAD}" in message and "rerun" in message
        if backend == "postgresql":  # the session holding the lock is named, with what it ran
            assert "now held by session" in message and "SELECT count(*) FROM bots" in message
        assert _version(url) == HEAD

        lines: list[str] = []

        def progress(line: str) -> None:
            lines.append(line)
            if "retrying" in line:
                holder.rollback()  # the blocking transaction ends during the backoff

        report = upgrade(url, config=project.config(), backup=False, ddl_lock_timeout=0.5, ddl_retries=2,
                         ddl_retry_backoff=0.5, progress=progress)  # fmt: skip
        assert report.ok and any("retrying" in line for line in lines)
        assert _version(url) == "a1a1a1a1a1a1"
    finally:
        holder.close()
        holder_engine.dispose()


def test_sqlite_gets_the_busy_timeout(sqlite_url: sa.URL, tmp_path: Path) -> None:
    project = _project(sqlite_url, tmp_path / "project")
    seen: list[int] = []

    def before(conn: sa.Connection, cursor, statement: str, *_: object) -> None:
        if "waited_for" in statement:  # the revision's own ALTER, on the migrating connection
            seen.append(conn.connection.dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0])

    sa.event.listen(sa.Engine, "before_cursor_execute", before)
    try:
        upgrade(sqlite_url, config=project.config(), backup=False, ddl_lock_timeout=1.25, allow_data_loss=True)
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", before)
    assert _version(sqlite_url) == "a1a1a1a1a1a1"
    assert seen and set(seen) == {1250}


def test_bad_values_are_one_line_errors(sqlite_url: sa.URL, tmp_path: Path) -> None:
    project = _project(sqlite_url, tmp_path / "project")
    with pytest.raises(ConfigurationError, match="ddl_retries must be a whole number"):
        upgrade(sqlite_url, config=project.config(), backup=False, ddl_retries=-1)
    with pytest.raises(ConfigurationError, match="ddl_lock_timeout must be a number of seconds"):
        upgrade(sqlite_url, config=project.config(), backup=False, ddl_lock_timeout="soon")  # type: ignore[arg-type]


def _mariadb(url: sa.URL) -> bool:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        found = bool(getattr(connection.dialect, "is_mariadb", False))
    engine.dispose()
    return found


def _driver_errors(error: BaseException) -> list[int]:
    """The server error numbers in an exception's chain (what the statements that failed were told)."""
    numbers, current = [], error
    while current is not None:
        if isinstance(current, sa.exc.DBAPIError) and current.orig is not None and current.orig.args:
            numbers.append(current.orig.args[0])
        current = current.__cause__ or current.__context__
    return numbers


def _columns(url: sa.URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        names = [column["name"] for column in sa.inspect(connection).get_columns("bots")]
    engine.dispose()
    return names


def test_a_sub_second_lock_timeout_on_mariadb_is_cut_by_the_limit_while_the_holder_still_holds(
    new_database, tmp_path: Path
) -> None:
    """MariaDB's own waits count whole seconds (WAIT 0.3 is no wait; lock_wait_timeout 1 is the shortest
    real one): the cancel (error 1317, KILL QUERY) says the 0.3 s limit ended it, not the server's 1205."""
    url = new_database("mysql")
    if not _mariadb(url):
        pytest.skip("the sub-second limit is MariaDB's (MySQL keeps whole seconds)")
    project = _project(url, tmp_path / "project")
    holder_engine = sa.create_engine(url, poolclass=NullPool)
    holder = holder_engine.connect()
    holder.execute(sa.text("SELECT count(*) FROM bots")).all()
    try:
        with pytest.raises(MigrationFailed) as failure:
            upgrade(url, config=project.config(), backup=False, ddl_lock_timeout=0.3, ddl_retries=0)
        assert holder.in_transaction()  # the holder was never disturbed: its transaction is the one still open
        assert 1317 in _driver_errors(failure.value) and 1205 not in _driver_errors(failure.value)
        assert "bots" in str(failure.value) and "0.3s" in str(failure.value)
        assert _version(url) == HEAD and "waited_for" not in _columns(url)  # the ALTER did nothing
    finally:
        holder.close()
        holder_engine.dispose()


def test_the_lock_limit_cancels_a_metadata_lock_wait_and_nothing_that_got_its_lock(new_database) -> None:
    from schema_tools.dialects.mysql_lock_limit import MetadataLockLimit, session_id

    url = new_database("mysql")
    if not _mariadb(url):
        pytest.skip("the processlist's TIME_MS is MariaDB's")
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE held (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)"))
        connection.execute(sa.text("INSERT INTO held VALUES (1, 1), (2, 2)"))
    holder = engine.connect()
    holder.execute(sa.text("SELECT count(*) FROM held")).all()
    try:
        with MetadataLockLimit(url, 0.2) as limit, engine.connect() as migrating:
            limit.watch(session_id(migrating.connection.dbapi_connection) or 0)
            migrating.exec_driver_sql("SET SESSION lock_wait_timeout = 30")  # the server alone would wait 30 s
            with pytest.raises(sa.exc.OperationalError) as cancelled:
                migrating.exec_driver_sql("CREATE INDEX ix_held_qty ON held (qty) ALGORITHM=INPLACE LOCK=NONE")
            assert cancelled.value.orig.args[0] == 1317 and limit.cancelled == 1
            assert holder.in_transaction()
            assert "ix_held_qty" not in {index["name"] for index in sa.inspect(migrating).get_indexes("held")}
            migrating.rollback()
            holder.rollback()
            migrating.exec_driver_sql("CREATE INDEX ix_held_qty ON held (qty) ALGORITHM=INPLACE LOCK=NONE")
            assert limit.cancelled == 1  # no wait this time: nothing to cancel
            assert "ix_held_qty" in {index["name"] for index in sa.inspect(migrating).get_indexes("held")}
    finally:
        holder.close()
        engine.dispose()
