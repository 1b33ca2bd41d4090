"""What env.py guarantees: atomic migrations, no cascade deletes in batch rebuilds, the URL precedence."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from schema_tools.errors import MigrationFailed
from tests.support_project import HEAD, Project

FAILING = """
op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
with op.batch_alter_table("bots") as batch_op:
    batch_op.add_column(sa.Column("half_column", sa.String(10), nullable=True))
op.execute("UPDATE users SET full_name = 'changed'")
raise RuntimeError("boom: this migration fails halfway")
"""


# Children that cascade: exactly the case where SQLite silently deletes them when the parent is rebuilt.
CASCADE_CHILDREN = """
        with op.batch_alter_table("audit_logs", recreate="always") as batch_op:
            batch_op.drop_constraint("fk_audit_logs_user_id_users", type_="foreignkey")
            batch_op.create_foreign_key("fk_audit_logs_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE")
        with op.batch_alter_table("bots", recreate="always") as batch_op:
            batch_op.drop_constraint("fk_bots_created_by_users", type_="foreignkey")
            batch_op.create_foreign_key("fk_bots_created_by_users", "users", ["created_by"], ["id"], ondelete="CASCADE")
        """


def engine_with_foreign_keys_on(url: sa.URL) -> sa.Engine:
    """An engine the way applications configure SQLite: PRAGMA foreign_keys=ON on every connection."""
    engine = sa.create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def enable(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


def seed_children(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        admin = connection.execute(sa.text("SELECT id FROM users WHERE username = 'admin'")).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO bots (name, strategy_name, exchange, created_by) VALUES "
                "('alpha', 'S', 'binance', :a), ('beta', 'S', 'kraken', :a)"
            ),
            {"a": admin},
        )
        connection.execute(
            sa.text("INSERT INTO audit_logs (user_id, username, action) VALUES (:a, 'admin', 'login')"), {"a": admin}
        )


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_migration_that_fails_midway_leaves_the_previous_revision_intact(
    backend: str, new_database, tmp_path: Path
) -> None:
    url = new_database(backend)
    project = Project(tmp_path)
    project.add_revision("f0f0f0f0f0f0", HEAD, FAILING)
    engine = sa.create_engine(url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), HEAD)
    with pytest.raises(RuntimeError, match="boom"):
        command.upgrade(project.config(connection=engine), "head")
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        assert "half_done" not in inspector.get_table_names()
        assert "half_column" not in {c["name"] for c in inspector.get_columns("bots")}
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
        assert connection.execute(sa.text("SELECT count(*) FROM users WHERE full_name = 'changed'")).scalar() == 0
    engine.dispose()


def test_a_batch_rebuild_of_users_keeps_every_child_row_with_foreign_keys_on(sqlite_url: sa.URL, tmp_path) -> None:
    project = Project(tmp_path)
    project.add_revision("c1c1c1c1c1c1", HEAD, CASCADE_CHILDREN)
    project.add_revision(
        "c2c2c2c2c2c2",
        "c1c1c1c1c1c1",
        """
        with op.batch_alter_table("users", recreate="always") as batch_op:
            batch_op.alter_column("full_name", existing_type=sa.String(100), type_=sa.String(150))
        """,
    )
    engine = engine_with_foreign_keys_on(sqlite_url)
    command.upgrade(project.config(connection=engine), "c1c1c1c1c1c1")
    seed_children(engine)
    assert (count(engine, "bots"), count(engine, "audit_logs")) == (2, 1)

    command.upgrade(project.config(connection=engine), "head")

    assert (count(engine, "bots"), count(engine, "audit_logs")) == (2, 1)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1, "the pragma is restored"
    engine.dispose()


def test_without_the_environment_the_same_rebuild_deletes_the_children(sqlite_url: sa.URL, tmp_path) -> None:
    """The hazard the environment prevents (E7): proof that the test above can fail."""
    project = Project(tmp_path)
    project.add_revision("c1c1c1c1c1c1", HEAD, CASCADE_CHILDREN)
    engine = engine_with_foreign_keys_on(sqlite_url)
    command.upgrade(project.config(connection=engine), "head")
    seed_children(engine)
    with engine.begin() as connection:  # a plain MigrationContext: no BEGIN hook, pragma left ON
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("users", recreate="always") as batch_op:
            batch_op.alter_column("full_name", existing_type=sa.String(100), type_=sa.String(150))
    assert (count(engine, "bots"), count(engine, "audit_logs")) == (0, 0)
    engine.dispose()


def test_batch_rebuild_keeps_nulls_unicode_and_blobs(sqlite_url: sa.URL, tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "b1b1b1b1b1b1",
        HEAD,
        """
        op.create_table(
            "attachments",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("title", sa.String(50)),
            sa.Column("body", sa.LargeBinary),
            sa.Column("size", sa.Integer),
        )
        """,
    )
    project.add_revision(
        "b2b2b2b2b2b2",
        "b1b1b1b1b1b1",
        """
        with op.batch_alter_table("attachments", recreate="always") as batch_op:
            batch_op.alter_column("title", existing_type=sa.String(50), type_=sa.String(200))
        """,
    )
    rows = [
        (1, "Zoë's 🚀 Überblick", bytes(range(256)), 256),
        (2, None, None, None),
        (3, "", b"\x00\x00", 0),
    ]
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), "b1b1b1b1b1b1")
    with engine.begin() as connection:
        for row in rows:
            connection.execute(
                sa.text("INSERT INTO attachments VALUES (:i, :t, :b, :s)"), dict(zip("itbs", row, strict=True))
            )
    command.upgrade(project.config(connection=engine), "head")
    with engine.connect() as connection:
        stored = [tuple(r) for r in connection.execute(sa.text("SELECT * FROM attachments ORDER BY id"))]
    engine.dispose()
    assert stored == rows


def test_a_step_that_leaves_dangling_foreign_keys_is_rolled_back(sqlite_url: sa.URL, tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "d1d1d1d1d1d1",
        HEAD,
        "op.execute(\"INSERT INTO bots (name, strategy_name, exchange, created_by) VALUES ('x', 's', 'e', 999)\")",
    )
    engine = sa.create_engine(sqlite_url, poolclass=NullPool)
    command.upgrade(project.config(connection=engine), HEAD)
    with pytest.raises(MigrationFailed, match="violate foreign keys"):  # a SchemaToolsError: one line in the CLI
        command.upgrade(project.config(connection=engine), "head")
    assert count(engine, "bots") == 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
    engine.dispose()


def test_async_urls_migrate_from_inside_a_running_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "async.db"
    project = Project(tmp_path / "project")

    async def notebook_cell() -> None:  # as in Jupyter, where a loop is already running
        command.upgrade(project.config(url=f"sqlite+aiosqlite:///{path}"), "head")

    asyncio.run(notebook_cell())
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (HEAD,)


def test_database_url_beats_alembic_ini_and_x_url_beats_both(tmp_path: Path) -> None:
    project = Project(tmp_path)
    ini = project.root / "alembic.ini"
    ini.write_text(ini.read_text().replace("sqlite+aiosqlite:///%(here)s/freqtrade.db", "sqlite:///./from_ini.db"))
    assert project.run("alembic upgrade 440fdbe0fe66").returncode == 0
    assert (project.root / "from_ini.db").exists()

    project.env["DATABASE_URL"] = "sqlite:///./from_env.db"
    assert project.run("alembic upgrade 440fdbe0fe66").returncode == 0
    assert (project.root / "from_env.db").exists()

    assert project.run("alembic -x url=sqlite:///./from_x.db upgrade 440fdbe0fe66").returncode == 0
    assert (project.root / "from_x.db").exists()
    for name, expected in (("from_ini.db", 1), ("from_env.db", 1), ("from_x.db", 1)):
        with sqlite3.connect(project.root / name) as connection:
            assert len(connection.execute("SELECT * FROM alembic_version").fetchall()) == expected


def test_a_password_with_percent_at_colon_and_slash_works_through_database_url(
    postgres_url: sa.URL, tmp_path: Path
) -> None:
    secret = "p%ss@w:rd/1"
    admin = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP ROLE IF EXISTS st_env_role")
        connection.exec_driver_sql("CREATE ROLE st_env_role LOGIN SUPERUSER PASSWORD 'p%ss@w:rd/1'")
    try:
        project = Project(tmp_path)
        url = postgres_url.set(username="st_env_role", password=secret, drivername="postgresql+asyncpg")
        project.env["DATABASE_URL"] = url.render_as_string(hide_password=False)
        result = project.run("alembic upgrade head")
        assert result.returncode == 0, result.stderr
        assert secret not in result.stdout + result.stderr
        assert HEAD in project.run("alembic current").stdout
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("REASSIGN OWNED BY st_env_role TO CURRENT_USER")
            connection.exec_driver_sql("DROP OWNED BY st_env_role")
            connection.exec_driver_sql("DROP ROLE IF EXISTS st_env_role")
        admin.dispose()
