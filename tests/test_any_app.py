"""README's "Use schema-tools in your project", run in a fresh app made by `alembic init` outside this repository.

Every command runs as a subprocess of the venv's `schema-tools` (or `alembic`) with the app as working
directory and no DATABASE_URL, PYTHONPATH or SCHEMA_TOOLS_* setting inherited. Each test judges the
outcome from the databases themselves (version table, tables, columns), the exit code and the one-line
message. The app is built once per template (generic and async) and copied for every test.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tests.support_apps import (
    APP_TABLES,
    HEAD,
    PROJECT_TABLE,
    PYPROJECT,
    REPO,
    TEMPLATES,
    App,
    Result,
    build_app,
    columns,
    copy_app,
    execute,
    tables,
    version,
)

BOOKKEEPING = {"alembic_version", "schema_tools_applied"}


# -- the app, built once per template ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_apps(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The app folder of a template, made by `alembic init` the first time it is asked for."""
    made: dict[str, Path] = {}

    def get(template: str) -> Path:
        if template not in made:
            made[template] = build_app(tmp_path_factory.mktemp(f"built-{template}") / "shop-app", template).root
        return made[template]

    return get


@pytest.fixture(params=TEMPLATES)
def app(request: pytest.FixtureRequest, built_apps: Callable[[str], Path], tmp_path: Path) -> App:
    """A copy of the fresh app, once per template."""
    return copy_app(built_apps(request.param), tmp_path / "shop-app", request.param)


@pytest.fixture
def generic_app(built_apps: Callable[[str], Path], tmp_path: Path) -> App:
    return copy_app(built_apps("generic"), tmp_path / "shop-app", "generic")


@pytest.fixture
def async_app(built_apps: Callable[[str], Path], tmp_path: Path) -> App:
    return copy_app(built_apps("async"), tmp_path / "shop-app", "async")


def test_the_app_is_outside_this_repository_and_its_environment_names_nothing(generic_app: App) -> None:
    assert REPO not in generic_app.root.parents
    assert not {"DATABASE_URL", "PYTHONPATH"} & set(generic_app.env)
    assert not [key for key in generic_app.env if key.startswith("SCHEMA_TOOLS_")]
    assert "target_metadata = Base.metadata" in generic_app.env_py.read_text()
    assert generic_app.pyproject.read_text() == PYPROJECT
    assert not generic_app.db.exists()


# -- 1. README step 4, command by command ----------------------------------------------------------------------


def _first_line(result: Result) -> str:
    return result.out.splitlines()[0] if result.out else ""


def test_every_command_of_the_readme_walkthrough_does_its_job_in_a_fresh_app(app: App) -> None:
    # No database yet: status says so on one line and creates nothing.
    result = app.st("status")
    assert result.rc == 2 and "shop.db" in result.error and "upgrade" in result.error, result
    assert not app.db.exists()

    # lint --all before anything ran: each revision says how it was judged.
    result = app.st("lint", "--all")
    assert result.rc == 0, result
    reports = result.out.split("\n\n")
    assert [report.split()[0] for report in reports] == ["a1", "a2", "a3"], result
    assert "judged by its operations, read offline" in reports[0]
    assert "judged by its effect on a scratch database" in reports[1] and "op.execute()" in reports[1]
    assert "judged by its effect on a scratch database" in reports[2] and "_add_note()" in reports[2]

    result = app.st("upgrade")
    assert result.rc == 0, result
    assert _first_line(result) == "upgrade of sqlite:///shop.db: 3 revision(s) applied", result
    assert version(app.url) == (HEAD,)
    assert tables(app.url) == APP_TABLES | BOOKKEEPING
    assert {"display_name"} <= columns(app.url, "customers") and "note" in columns(app.url, "orders")

    result = app.st("status")
    assert result.rc == 0 and "current:  a3" in result.out and "status:   up to date" in result.out, result
    assert "missing from the models" not in result.out
    for command in ("diff", "check"):
        result = app.st(command)
        assert result.rc == 0 and "No changes" in result.out, result

    # The models gain a column: diff and check see it, draft writes the revision.
    app.replace_in(
        app.models,
        "    display_name: Mapped[str | None] = mapped_column(String(100))\n",
        "    display_name: Mapped[str | None] = mapped_column(String(100))\n"
        "    region: Mapped[str | None] = mapped_column(String(20))\n",
    )
    result = app.st("diff")
    assert result.rc == 1 and "region" in result.out and "add_column" in result.out, result
    result = app.st("check")
    assert result.rc == 1 and "region" in result.out and "draft" in result.messages[-1], result
    result = app.st("draft", "-m", "add region", "--write")
    assert result.rc == 0, result
    (written,) = [path for path in app.versions.glob("*.py") if path.name[:3] not in ("a1_", "a2_", "a3_")]
    region_revision = written.name.split("_")[0]
    assert "region" in written.read_text() and f"wrote {written}" in result.err, result
    assert version(app.url) == (HEAD,), "draft writes a file, it does not migrate"

    result = app.st("lint", "--all")
    assert result.rc == 0, result
    assert result.out.count("judged by its") == 4 and region_revision in result.out, result

    result = app.st("upgrade")
    assert result.rc == 0, result
    assert _first_line(result) == "upgrade of sqlite:///shop.db: 1 revision(s) applied", result
    assert result.out.splitlines()[1].startswith("backup: backups/shop.a3."), result
    assert len(list((app.root / "backups").glob("shop.a3.*.db"))) == 1
    assert version(app.url) == (region_revision,) and "region" in columns(app.url, "customers")

    result = app.st("downgrade", "-1")
    assert result.rc == 2 and f"{region_revision}: drops column customers.region" in result.error, result
    assert version(app.url) == (region_revision,) and "region" in columns(app.url, "customers")
    result = app.st("downgrade", "-1", "--allow-data-loss")
    assert result.rc == 0, result
    assert _first_line(result) == "downgrade of sqlite:///shop.db: 1 revision(s) reverted", result
    assert version(app.url) == (HEAD,) and "region" not in columns(app.url, "customers")

    result = app.st("roundtrip")
    assert result.rc == 0 and "4 revisions, all revisions round-trip" in result.out, result
    assert version(app.url) == (HEAD,), "roundtrip works on a scratch database"

    result = app.st("history")
    assert result.rc == 0, result
    assert f"Rev: {region_revision} (head)" in result.out and "Rev: a3 (current)" in result.out, result
    assert "database at a3" in result.out

    result = app.st("verify")
    assert result.rc == 0, result
    assert _first_line(result) == "sqlite:///shop.db: 3 applied revisions, no file changed since it ran", result

    result = app.st("erd", "--models", "-o", "schema.svg")
    assert result.rc == 0 and "3 tables, 2 relationships" in result.out, result
    svg = (app.root / "schema.svg").read_text()
    assert "<svg" in svg and all(name in svg for name in APP_TABLES)


# -- 2. --url reaches the stock env.py -------------------------------------------------------------------------


def test_upgrade_with_a_url_migrates_that_file_and_never_the_database_of_alembic_ini(app: App, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "target.db"
    target.parent.mkdir()
    result = app.st("upgrade", "--config", str(app.ini), "--url", f"sqlite:///{target}")
    assert result.rc == 0, result
    assert _first_line(result) == "upgrade of sqlite:///target.db: 3 revision(s) applied", result
    assert version(target) == (HEAD,) and tables(target) == APP_TABLES | BOOKKEEPING
    assert not app.db.exists(), "the ini's own database is never created"

    # Once the ini's database exists, a run for another URL leaves it exactly as it was.
    app.ok(app.st("upgrade", "a1"))
    assert version(app.url) == ("a1",)
    result = app.st("downgrade", "base", "--config", str(app.ini), "--url", f"sqlite:///{target}", "--allow-data-loss")
    assert result.rc == 0, result
    assert _first_line(result) == "downgrade of sqlite:///target.db: 3 revision(s) reverted", result
    assert version(target) == () and tables(target) == BOOKKEEPING
    assert version(app.url) == ("a1",) and tables(app.url) == APP_TABLES | BOOKKEEPING
    assert "display_name" not in columns(app.url, "customers")


@pytest.mark.parametrize(
    ("template", "backend", "driver"),
    [
        ("generic", "postgresql", "postgresql+psycopg"),
        ("generic", "postgresql", "postgresql+asyncpg"),  # handed to the sync env.py as psycopg
        ("generic", "mysql", "mysql+pymysql"),
        ("async", "postgresql", "postgresql+asyncpg"),
        ("async", "postgresql", "postgresql+psycopg"),  # handed to the async env.py as psycopg_async
    ],
)
def test_upgrade_with_a_server_url_migrates_that_database_through_the_stock_env_py(
    template: str,
    backend: str,
    driver: str,
    built_apps: Callable[[str], Path],
    new_database: Callable[[str], URL],
    tmp_path: Path,
) -> None:
    app = copy_app(built_apps(template), tmp_path / "shop-app", template)
    url = new_database(backend).set(drivername=driver)
    rendered = url.render_as_string(hide_password=False)
    result = app.st("upgrade", "--config", str(app.ini), "--url", rendered)
    assert result.rc == 0, result
    assert "3 revision(s) applied" in _first_line(result), result
    assert version(url) == (HEAD,) and tables(url) == APP_TABLES | BOOKKEEPING
    assert "note" in columns(url, "orders")
    assert not app.db.exists()
    result = app.st("downgrade", "a1", "--url", rendered, "--allow-data-loss", "--no-backup")
    assert result.rc == 0 and "2 revision(s) reverted" in _first_line(result), result
    assert version(url) == ("a1",) and "display_name" not in columns(url, "customers")
    assert not app.db.exists()


# -- 3. an env.py that ignores the URL it is given ----------------------------------------------------------------


def _replace_engine(app: App, expression: str) -> None:
    """What a user does: build the engine in env.py from something of their own instead of the ini."""
    text = app.env_py.read_text()
    start = text.index("    connectable = ")
    end = text.index("\n    )\n", start) + len("\n    )\n")
    factory = "from sqlalchemy.ext.asyncio import create_async_engine" if app.template == "async" else ""
    imports = f"import os\n\nfrom sqlalchemy import create_engine\n{factory}\n"
    app.env_py.write_text(imports + text[:start] + f"    connectable = {expression}\n" + text[end:])


def test_an_env_py_that_hard_codes_its_database_is_stopped_before_it_touches_either(app: App, tmp_path: Path) -> None:
    target, other = tmp_path / "target.db", tmp_path / "other.db"
    app.ok(app.st("upgrade", "a1", "--url", f"sqlite:///{target}"))
    if app.template == "async":
        _replace_engine(app, f'create_async_engine("sqlite+aiosqlite:///" + {str(other)!r}, poolclass=pool.NullPool)')
    else:
        _replace_engine(app, f'create_engine("sqlite:///" + {str(other)!r}, poolclass=pool.NullPool)')
    for extra in ((), ("--allow-data-loss",)):
        result = app.st("upgrade", "--url", f"sqlite:///{target}", *extra)
        assert result.rc == 2, result
        line = result.error
        assert f"env.py ({app.env_py}) connected to the SQLite file {other}" in line, result
        assert "nothing ran on either database" in line and "url-env" in line, result
        assert "would destroy data" not in line, "a setup error, not a verdict on the revisions"
        assert version(target) == ("a1",) and tables(target) == APP_TABLES | BOOKKEEPING
        assert "display_name" not in columns(target, "customers")
        assert not other.exists(), "no empty file is left where the hard-coded URL points"
    assert not app.db.exists()


def test_an_env_py_reading_its_own_variable_works_once_url_env_names_it(generic_app: App, tmp_path: Path) -> None:
    app = generic_app
    _replace_engine(app, 'create_engine(os.environ["SHOP_DB"], poolclass=pool.NullPool)')
    prod, target = tmp_path / "prod.db", tmp_path / "target.db"
    env = {"SHOP_DB": f"sqlite:///{prod}"}
    app.ok(app.alembic("upgrade", "a1", env=env))
    assert version(prod) == ("a1",)

    # Without url-env, schema-tools cannot hand the URL over: refused, nothing run on either database.
    for extra in ((), ("--allow-data-loss",)):
        result = app.st("upgrade", "--url", f"sqlite:///{target}", *extra, env=env)
        assert result.rc == 2, result
        assert f"env.py ({app.env_py}) connected to the SQLite file {prod}" in result.error, result
        assert "set url-env in [tool.schema-tools]" in result.error and "$DATABASE_URL" in result.error
        assert version(prod) == ("a1",) and version(target) is None and tables(target) == set()

    app.pyproject.write_text(PYPROJECT + 'url-env = "SHOP_DB"\n')
    result = app.st("upgrade", "--url", f"sqlite:///{target}", env=env)
    assert result.rc == 0 and _first_line(result) == "upgrade of sqlite:///target.db: 3 revision(s) applied", result
    assert version(target) == (HEAD,) and version(prod) == ("a1",)
    # The variable is the app's URL now: commands without --url use it.
    result = app.st("status", env=env)
    assert result.rc == 1 and "database: sqlite:///prod.db" in result.out and "current:  a1" in result.out, result


# -- 4. the data-loss guard fails closed ------------------------------------------------------------------------

DYNAMIC_DROPS = {
    "inspects the connection and drops three columns": (
        """
        def upgrade() -> None:
            bind = op.get_bind()
            inspector = sa.inspect(bind)
            for table, column in (("customers", "name"), ("customers", "display_name"), ("orders", "note")):
                if column in {found["name"] for found in inspector.get_columns(table)}:
                    op.drop_column(table, column)


        def downgrade() -> None:
            pass
        """,
        "c1: drops column customers.name; drops column customers.display_name; drops column orders.note",
    ),
    "closes the connection first": (
        """
        def upgrade() -> None:
            bind = op.get_bind()
            bind.close()
            op.drop_column("customers", "display_name")


        def downgrade() -> None:
            pass
        """,
        "c1: cannot be judged (",
    ),
    "drops a table through op.execute": (
        """
        def upgrade() -> None:
            op.execute("DROP TABLE orders")


        def downgrade() -> None:
            pass
        """,
        "c1: drops table orders",
    ),
    "drops a column through op.execute": (
        """
        def upgrade() -> None:
            op.execute("ALTER TABLE customers DROP COLUMN name")


        def downgrade() -> None:
            pass
        """,
        "c1: drops column customers.name",
    ),
    "drops a column only when not offline": (
        """
        def upgrade() -> None:
            if not context.is_offline_mode():
                op.drop_column("orders", "note")


        def downgrade() -> None:
            pass
        """,
        "c1: drops column orders.note",
    ),
}


def _schema(url: str | URL | Path) -> dict[str, set[str]]:
    return {table: columns(url, table) for table in sorted(tables(url))}


@pytest.mark.parametrize("case", list(DYNAMIC_DROPS))
def test_the_guard_refuses_a_revision_whose_drops_cannot_be_read(generic_app: App, case: str) -> None:
    app = generic_app
    body, refusal = DYNAMIC_DROPS[case]
    app.ok(app.alembic("upgrade", "head"))
    app.add_revision("c1", body, message="tidy up")
    before = _schema(app.url)

    result = app.st("upgrade", "--no-backup")
    assert result.rc == 2, result
    refused = result.error
    assert refusal in refused and "--allow-data-loss" in refused, result
    assert version(app.url) == (HEAD,) and _schema(app.url) == before, "a refused upgrade runs nothing"

    result = app.st("lint", "c1")
    assert result.rc == 1, result
    assert "judged by its effect" in result.out or "cannot be judged" in result.out, result
    assert "no lint findings" not in result.out and "0 findings" not in result.out, result
    found = "This Connection is closed" if "cannot be judged" in refusal else refusal.split(": ")[1].split(";")[0]
    assert found in result.out, result
    assert found in refused, "the refusal says what it found, or why it could not tell"

    result = app.st("upgrade", "--no-backup", "--allow-data-loss")
    if case == "closes the connection first":  # it cannot run anywhere: the database stays where it was
        assert result.rc == 2 and "upgrade failed in revision c1: This Connection is closed" in result.error, result
        assert "database at revision a3" in result.error and version(app.url) == (HEAD,), result
        return
    assert result.rc == 0 and "1 revision(s) applied" in _first_line(result), result
    assert version(app.url) == ("c1",) and _schema(app.url) != before


def test_the_guard_refuses_a_downgrade_that_drops_a_column_in_a_loop(generic_app: App) -> None:
    app = generic_app
    app.ok(app.alembic("upgrade", "head"))
    result = app.st("downgrade", "-1", "--no-backup")
    assert result.rc == 2, result
    assert "downgrade to -1 would destroy data or cannot be judged (a3: drops column orders.note)" in result.error
    assert version(app.url) == (HEAD,) and "note" in columns(app.url, "orders")

    result = app.st("lint", "a3", "--downgrade")
    assert result.rc == 1, result
    assert "downgrade(): judged by its effect on a scratch database" in result.out and "loops (for)" in result.out
    assert "drops column orders.note" in result.out and "0 findings" not in result.out, result

    result = app.st("downgrade", "-1", "--no-backup", "--allow-data-loss")
    assert result.rc == 0 and "1 revision(s) reverted" in _first_line(result), result
    assert version(app.url) == ("a2",) and "note" not in columns(app.url, "orders")


@pytest.fixture
def no_createdb_url(postgres_url: URL) -> Iterator[URL]:
    """A scratch database owned by a role that may log in but not CREATE DATABASE."""
    role, password = "st_no_createdb", "st-no-createdb-pw"
    admin = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").first()
        verb = "ALTER" if exists else "CREATE"
        connection.exec_driver_sql(f"{verb} ROLE {role} LOGIN NOCREATEDB PASSWORD '{password}'")
        connection.exec_driver_sql(f'ALTER DATABASE "{postgres_url.database}" OWNER TO {role}')
    admin.dispose()
    yield postgres_url.set(username=role, password=password)
    admin = sa.create_engine(postgres_url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{postgres_url.database}" WITH (FORCE)')
        owned = connection.exec_driver_sql(
            f"SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = '{role}'"
        ).first()
        if owned is None:  # another session's database may still be owned by it: the role stays for then
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
    admin.dispose()


def test_without_createdb_a_dynamic_revision_cannot_be_judged_but_a_plain_one_runs(
    generic_app: App, no_createdb_url: URL
) -> None:
    app = generic_app
    url = no_createdb_url.render_as_string(hide_password=False)
    result = app.st("upgrade", "--url", url, "--no-backup")
    assert result.rc == 2, result
    assert "a2: cannot be judged (upgrade() calls op.execute(); no scratch" in result.error, result
    assert "may not CREATE DATABASE" in result.error and "st-no-createdb-pw" not in result.err, result
    assert version(no_createdb_url) is None and tables(no_createdb_url) == set()

    result = app.st("upgrade", "a1", "--url", url, "--no-backup")  # a1 only calls op.*: read, no scratch needed
    assert result.rc == 0 and "1 revision(s) applied" in _first_line(result), result
    assert version(no_createdb_url) == ("a1",) and tables(no_createdb_url) == APP_TABLES | BOOKKEEPING


# -- 5. after a failure, the message says where the database really is ------------------------------------------

FAILING_UP = """
def upgrade() -> None:
    op.add_column("products", sa.Column("weight", sa.Integer(), nullable=True))
    raise RuntimeError("boom on the way up")


def downgrade() -> None:
    op.drop_column("products", "weight")
"""
FAILING_DOWN = """
def upgrade() -> None:
    op.add_column("products", sa.Column("weight", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "weight")
    raise RuntimeError("boom on the way down")
"""
AFTER_IT = """
def upgrade() -> None:
    op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("tags")
"""


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_a_failed_upgrade_names_the_revision_the_database_is_really_at(
    backend: str, generic_app: App, new_database: Callable[[str], URL]
) -> None:
    app = generic_app
    url = new_database(backend)
    rendered = url.render_as_string(hide_password=False)
    app.add_revision("b4", FAILING_UP, message="weigh products")
    app.add_revision("b5", AFTER_IT, down="b4", message="tags")
    result = app.st("upgrade", "--url", rendered, "--allow-data-loss", "--no-backup")
    assert result.rc == 2, result
    (actual,) = version(url) or ("base",)
    assert "upgrade failed in revision b4: boom on the way up" in result.error, result
    assert f"database at revision {actual};" in result.error, result
    assert actual == HEAD, "a1..a3 ran before b4 failed"
    assert "tags" not in tables(url)


@pytest.mark.parametrize("backend", ["sqlite", "mysql"])
def test_a_failed_downgrade_names_the_revision_the_database_is_really_at(
    backend: str, generic_app: App, new_database: Callable[[str], URL]
) -> None:
    app = generic_app
    url = new_database(backend)
    rendered = url.render_as_string(hide_password=False)
    app.add_revision("b4", FAILING_DOWN, message="weigh products")
    app.add_revision("b5", AFTER_IT, down="b4", message="tags")
    app.ok(app.st("upgrade", "--url", rendered, "--no-backup"))
    assert version(url) == ("b5",)
    result = app.st("downgrade", "a2", "--url", rendered, "--allow-data-loss", "--no-backup")
    assert result.rc == 2, result
    (actual,) = version(url) or ("base",)
    assert "downgrade failed in revision b4: boom on the way down" in result.error, result
    assert f"database at revision {actual};" in result.error, result
    assert actual == "b4", "b5 was reverted, b4 failed"
    assert "tags" not in tables(url) and "note" in columns(url, "orders")


# -- 6. nothing is assumed: no default models, no default database --------------------------------------------


def test_without_configured_models_diff_names_the_fix_and_status_still_works(generic_app: App) -> None:
    app = generic_app
    app.pyproject.write_text(PROJECT_TABLE)
    app.ok(app.alembic("upgrade", "head"))
    execute(app.url, "CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY)")
    sub = app.root / "shop" / "deeper"
    sub.mkdir()

    result = app.st("diff")
    assert result.rc == 2 and len(result.err.splitlines()) == 1, result
    assert "[tool.schema-tools]" in result.error and "--metadata" in result.error, result

    for argv, cwd in ((["status"], app.root), (["status", "--config", "alembic.ini"], app.root),
                      (["status", "--config", "../../alembic.ini"], sub)):  # fmt: skip
        result = app.st(*argv, cwd=cwd)
        assert result.rc == 0, result
        assert "database: sqlite:///shop.db" in result.out and "current:  a3" in result.out, result
        assert "missing from the models" not in result.out and "legacy_notes" not in result.out, result

    for cwd in (app.root, sub):
        result = app.st("diff", "--metadata", "shop.models:Base.metadata", cwd=cwd)
        assert result.rc == 1, result  # the one table the models lack
        assert "legacy_notes  remove_table" in result.out and "customers" not in result.out, result

    for argv in (["diff"], ["status"], ["check"], ["draft", "-m", "x"], ["erd", "-o", "x.svg"]):
        result = app.st(*argv, "--metadata", "nomodule", cwd=sub)
        assert result.rc == 2 and len(result.err.splitlines()) == 1, result
        assert "metadata 'nomodule' is not 'module:attribute'" in result.error, result
        assert "revision" not in result.error, result
    assert not list(app.root.rglob("x.svg")) and version(app.url) == (HEAD,)

    result = app.st("diff", cwd=sub, env={"SCHEMA_TOOLS_METADATA": "shop.models:Base.metadata"})
    assert result.rc == 1 and "legacy_notes" in result.out, result


def test_schema_tools_project_and_a_relative_sqlite_url_mean_the_app_folder(generic_app: App, tmp_path: Path) -> None:
    app = generic_app
    app.ok(app.alembic("upgrade", "a1"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project = {"SCHEMA_TOOLS_PROJECT": str(app.root)}
    result = app.st("status", cwd=elsewhere, env=project)
    assert result.rc == 1 and "database: sqlite:///shop.db" in result.out and "current:  a1" in result.out, result
    result = app.st("diff", cwd=elsewhere, env=project)
    assert result.rc == 1 and "display_name" in result.out, result
    result = app.st("status", cwd=elsewhere, env={"SCHEMA_TOOLS_PROJECT": str(app.pyproject)})
    assert result.rc == 1 and "current:  a1" in result.out, result
    assert list(elsewhere.iterdir()) == []

    # SCHEMA_TOOLS_METADATA wins over [tool.schema-tools]: empty models would drop every table.
    (app.root / "shop" / "nothing.py").write_text("from sqlalchemy import MetaData\n\nmetadata = MetaData()\n")
    result = app.st("diff", env={"SCHEMA_TOOLS_METADATA": "shop.nothing:metadata"})
    assert result.rc == 1 and result.out.count("remove_table") == 3, result

    sub = app.root / "shop"
    relative = {"DATABASE_URL": "sqlite:///app.db"}
    result = app.st("upgrade", "a2", cwd=sub, env=relative)
    assert result.rc == 0 and _first_line(result) == "upgrade of sqlite:///app.db: 2 revision(s) applied", result
    assert version(app.root / "app.db") == ("a2",) and not (sub / "app.db").exists()
    result = app.st("status", cwd=sub, env=relative)
    assert result.rc == 1 and "database: sqlite:///app.db" in result.out and "current:  a2" in result.out, result
    result = app.st("diff", cwd=sub, env=relative)
    assert result.rc == 1 and "note" in result.out and "display_name" not in result.out, result
    assert version(app.url) == ("a1",), "the ini's database is not the one DATABASE_URL names"


# -- 7. the library never needs this repository's management server --------------------------------------------

_IMPORTERS = {"importlib.import_module", "import_module", "__import__", "importlib.__import__", "find_spec",
              "importlib.util.find_spec", "util.find_spec"}  # fmt: skip


def _is_management_server(name: object) -> bool:
    return isinstance(name, str) and (name == "management_server" or name.startswith("management_server."))


def management_server_references(source: str, where: str) -> list[str]:
    """Imports of management_server, calls that import it by name, and specs like "management_server.x:y"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[object] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in _IMPORTERS:
            names = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value.split(":")[0]]
        if any(_is_management_server(name) for name in names):
            found.append(f"{where}:{getattr(node, 'lineno', '?')}")
    return sorted(set(found))


def test_the_scan_for_management_server_imports_finds_every_spelling() -> None:
    source = (
        "import management_server\nfrom management_server.models import Base\nimport importlib\n"
        "importlib.import_module('management_server.models')\n__import__('management_server')\n"
        "DEFAULT = 'management_server.models:Base.metadata'\nfrom .config import x\nimport management_servers_not\n"
    )
    assert management_server_references(source, "x.py") == ["x.py:1", "x.py:2", "x.py:4", "x.py:5", "x.py:6"]


def test_no_schema_tools_module_refers_to_the_management_server() -> None:
    files = sorted((REPO / "schema_tools").rglob("*.py"))
    assert len(files) > 30
    found = [hit for path in files for hit in management_server_references(path.read_text(), str(path))]
    assert found == []


BLOCK_MANAGEMENT_SERVER = """
import importlib, pkgutil, sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "management_server" or name.startswith("management_server."):
            raise ImportError("management_server is not importable here: " + name)
        return None

sys.meta_path.insert(0, Refuse())
try:
    import management_server
except ImportError:
    pass
else:
    raise SystemExit("the blocker did not block")
import schema_tools
names = [info.name for info in pkgutil.walk_packages(schema_tools.__path__, "schema_tools.")]
for name in names:
    importlib.import_module(name)
print("imported", len(names), "modules")
from schema_tools.cli import main
codes = [main(["status"]), main(["diff"])]
print("exit codes", codes)
sys.exit(max(codes))
"""


def test_schema_tools_imports_and_runs_with_the_management_server_unimportable(generic_app: App) -> None:
    app = generic_app
    app.ok(app.alembic("upgrade", "head"))
    result = app.run("python", "-c", BLOCK_MANAGEMENT_SERVER)
    assert result.rc == 0, result
    assert "exit codes [0, 0]" in result.out and "current:  a3" in result.out and "No changes" in result.out, result
    assert int(result.out.split("imported ")[1].split()[0]) > 40, result


# -- 8. history and verify, wherever the revisions live ------------------------------------------------------------


def test_history_and_verify_work_with_the_versions_outside_the_ini_folder(generic_app: App, tmp_path: Path) -> None:
    app = generic_app
    shared = tmp_path / "shared" / "versions"
    shared.parent.mkdir()
    shutil.move(app.versions, shared)
    app.replace_in(
        app.ini,
        "# version_locations = %(here)s/bar:%(here)s/bat:%(here)s/alembic/versions",
        "version_locations = %(here)s/../shared/versions",
    )
    app.ok(app.st("upgrade", "--no-backup"))
    other = tmp_path / "other.db"
    app.ok(app.st("upgrade", "a1", "--url", f"sqlite:///{other}"))
    assert version(app.url) == (HEAD,) and version(other) == ("a1",)

    for cwd in (app.root, app.root / "shop"):
        result = app.st("history", cwd=cwd)
        assert result.rc == 0 and "Traceback" not in result.err, result
        assert "database at a3" in result.out and "Rev: a3 (head) (current)" in result.out, result
        assert f"Path: {shared / 'a3_add_order_note.py'}" in result.out, result
        result = app.st("verify", cwd=cwd)
        assert result.rc == 0 and "Traceback" not in result.err, result
        assert _first_line(result) == "sqlite:///shop.db: 3 applied revisions, no file changed since it ran", result
        assert result.out.count("  ok  ") == 3, result

    from_env = {"DATABASE_URL": f"sqlite:///{other}"}
    result = app.st("verify", env=from_env)
    assert result.rc == 0, result
    assert _first_line(result) == "sqlite:///other.db: 1 applied revisions, no file changed since it ran", result
    result = app.st("history", env=from_env)
    assert result.rc == 0 and "database at a1" in result.out, result
    assert "Rev: a1 (current)" in result.out and "Rev: a3 (head)\n" in result.out, result

    (edited,) = shared.glob("a2_*.py")
    edited.write_text(edited.read_text() + "\n# edited after it ran\n")
    result = app.st("verify")
    assert result.rc == 1 and "1 applied revision(s) changed since they ran: a2 (edited)" in result.out, result


# -- 9. every mistake is one line, exit 2 ---------------------------------------------------------------------------


def test_mistakes_are_one_line_errors_that_change_nothing(generic_app: App, tmp_path: Path) -> None:
    app = generic_app
    app.ok(app.alembic("upgrade", "head"))
    at_a2, stamped, copy = tmp_path / "at_a2.db", tmp_path / "stamped.db", app.root / "x.db"
    app.ok(app.st("upgrade", "a2", "--url", f"sqlite:///{at_a2}"))
    shutil.copy(app.db, stamped)
    shutil.copy(app.db, copy)
    execute(f"sqlite:///{stamped}", "UPDATE alembic_version SET version_num = 'feedfacecafe'")
    cases = [
        (["upgrade", "--url", f"sqlite:///{at_a2}", "--backup-dir", "/proc/nope"], "backup folder /proc/nope"),
        (["backup", "--url", "sqlite:///x.db", "-o", "/nonexistent/dir/x.db"], "/nonexistent/dir"),
        (["upgrade", "nosuchrev"], "unknown revision 'nosuchrev'"),
        (["upgrade", "+9"], "relative revision +9 goes past the head"),
        (["upgrade", "head+1"], "relative revision head+1 goes past the head"),
        (["downgrade", "nosuchrev"], "unknown revision 'nosuchrev'"),
        (["downgrade", "+1"], "downgrade takes a revision, -N or base, not +1"),
        (["downgrade", "-99", "--allow-data-loss"], "relative revision -99 goes below base"),
        (["upgrade", "--url", f"sqlite:///{stamped}"], "Can't locate revision feedfacecafe"),
        (["erd", "-o", "/nonexistent/dir/x.svg"], "/nonexistent/dir/x.svg"),
        (["upgrade", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["upgrade", "--url", "mysql://root@127.0.0.1:3306/test"], "use mysql+pymysql:// (installed)"),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: app.st(*case[0]), cases))
    for (_, expected), result in zip(cases, results, strict=True):
        assert result.rc == 2, result
        assert "Traceback" not in result.err and len(result.err.splitlines()) == 1, result
        assert result.err.startswith("schema-tools: error: ") and expected in result.err, result
    assert version(app.url) == (HEAD,), "downgrade -99 never goes to base"
    assert version(at_a2) == ("a2",) and version(stamped) == ("feedfacecafe",)
    assert not Path("/nonexistent").exists() and not (tmp_path / "backups").exists()

    for argv in (["--debug", "upgrade", "nosuchrev"], ["upgrade", "nosuchrev", "--debug"]):
        result = app.st(*argv)
        assert result.rc == 2 and result.err.startswith("Traceback (most recent call last):"), result
        assert result.err.splitlines()[-1].startswith("schema-tools: error: unknown revision 'nosuchrev'"), result


def test_check_on_a_database_behind_the_scripts_says_to_upgrade_first(generic_app: App) -> None:
    app = generic_app
    app.ok(app.alembic("upgrade", "a1"))
    result = app.st("check")
    assert result.rc == 1 and "display_name" in result.out and "note" in result.out, result
    (advice,) = result.messages
    assert "2 revision(s) behind" in advice and "run 'schema-tools upgrade'" in advice, result
    assert "autogenerate" not in advice and "draft" not in advice, result


# -- 10. several databases in one env.py ------------------------------------------------------------------------------


def test_a_multidb_env_py_is_refused_before_it_runs_anything(tmp_path: Path) -> None:
    app = App(tmp_path / "multi-app", "multidb")
    app.root.mkdir()
    app.pyproject.write_text('[project]\nname = "multi"\nversion = "0.1.0"\n')
    app.ok(app.alembic("init", "-t", "multidb", "migrations"))
    app.replace_in(app.ini, "driver://user:pass@localhost/dbname2", "sqlite:///%(here)s/two.db")
    app.replace_in(app.ini, "driver://user:pass@localhost/dbname", "sqlite:///%(here)s/one.db")
    app.ok(app.alembic("revision", "-m", "tables", "--rev-id", "m1"))
    (revision,) = app.versions.glob("m1_*.py")
    for engine, table in (("engine1", "one"), ("engine2", "two")):
        create = f'op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True))'
        app.replace_in(
            revision, f'"""Upgrade {engine} schema."""\n    pass', f'"""Upgrade {engine} schema."""\n    {create}'
        )
    one, two = app.root / "one.db", app.root / "two.db"

    for extra in ((), ("--allow-data-loss",)):
        result = app.st("upgrade", "--url", "sqlite:///one.db", *extra)
        assert result.rc == 2, result
        assert f"env.py ({app.env_py}) connected to the SQLite file" in result.error, result
        assert "nothing ran on either database" in result.error, result
        assert tables(one) == set() and not two.exists(), "nothing ran, on either database"

    app.ok(app.alembic("upgrade", "head"))  # the app itself is fine: Alembic migrates both
    assert tables(one) == {"one", "alembic_version"} and tables(two) == {"two", "alembic_version"}
