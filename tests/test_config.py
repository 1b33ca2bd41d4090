"""The app's configuration: [tool.schema-tools] found upward, the one URL order, and every mistake in one line."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from schema_tools.config import PROJECT_ENV, find_project
from schema_tools.errors import ConfigurationError

INI = """\
[alembic]
script_location = %(here)s/migrations
path_separator = os
sqlalchemy.url = {url}
"""


def make_app(root: Path, table: str | None, *, url: str = "sqlite:///app.db", models: bool = True) -> Path:
    """A minimal app: pyproject.toml (with `table` as [tool.schema-tools] when given), alembic.ini, models."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(INI.format(url=url))
    (root / "migrations" / "versions").mkdir(parents=True)
    body = "[project]\nname = 'shop'\n" + (f"\n[tool.schema-tools]\n{textwrap.dedent(table)}" if table else "")
    (root / "pyproject.toml").write_text(body)
    if models:
        package = root / f"shop_{root.name}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "models.py").write_text(
            "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
            "items = sa.Table('items', metadata, sa.Column('id', sa.Integer, primary_key=True))\n"
        )
    return root


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SHOP_DB", PROJECT_ENV, "SCHEMA_TOOLS_METADATA", "SCHEMA_TOOLS_LOCK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def test_the_table_is_found_upward_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "app", 'metadata = "shop_app.models:metadata"\n')
    (app / "notebooks").mkdir()
    monkeypatch.chdir(app / "notebooks")
    project = find_project()
    assert project.root == app and project.alembic_ini == app / "alembic.ini"
    assert project.metadata == "shop_app.models:metadata"


def test_the_url_order_is_flag_then_variable_then_alembic_ini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "app", 'url-env = "SHOP_DB"\n')
    project = find_project(app)
    assert project.database_url().database == str(app / "app.db")  # the ini's, relative to the app
    monkeypatch.setenv("DATABASE_URL", "sqlite:///ignored.db")  # not the configured variable
    monkeypatch.setenv("SHOP_DB", "sqlite:///from_env.db")
    assert project.database_url().database == str(app / "from_env.db")
    assert project.database_url("sqlite:////abs/flag.db").database == "/abs/flag.db"


def test_a_relative_sqlite_path_is_in_the_app_folder_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "app", None)
    (app / "notebooks").mkdir()
    monkeypatch.chdir(app / "notebooks")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./data/app.db")
    assert find_project().database_url().database == str(app / "data" / "app.db")


def test_alembics_placeholder_url_is_no_url(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", None, url="driver://user:pass@localhost/dbname")
    with pytest.raises(ConfigurationError, match=r"no database URL: pass --url, set \$DATABASE_URL.*placeholder"):
        find_project(app).database_url()


def test_no_models_configured_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", None)
    with pytest.raises(
        ConfigurationError, match=r"no models configured: add metadata = .* under \[tool.schema-tools\]"
    ):
        find_project(app).load_metadata()


def test_the_app_folder_goes_on_sys_path_to_import_its_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "importme", 'metadata = "shop_importme.models:metadata"\n')
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    metadata = find_project(app).load_metadata()
    assert set(metadata.tables) == {"items"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('metadatas = "x:y"\n', r"unknown key metadatas .* the keys are metadata, alembic-ini"),
        ('metadata = "no_colon"\n', r'metadata .* must be "module:attribute"'),
        ("lock-timeout = -1\n", r"lock-timeout .* positive number of seconds"),
        ('alembic-ini = "missing.ini"\n', r"alembic-ini .* names .*missing.ini, which does not exist"),
        ("import = 3\n", r"import .* must be a list of module names"),
        ("url-env = 'not a name'\n", r"url-env .* must name an environment variable"),
        ("metadata = [\n", r"cannot read .*pyproject.toml: .*fix the TOML"),
    ],
)
def test_each_mistake_in_the_table_is_one_line(tmp_path: Path, table: str, message: str) -> None:
    app = make_app(tmp_path / "app", table)
    with pytest.raises(ConfigurationError, match=message):
        find_project(app)


def test_snake_case_keys_work_like_kebab_case(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", 'url_env = "SHOP_DB"\nlock_timeout = 7\n')
    project = find_project(app)
    assert project.url_env == "SHOP_DB" and project.lock_timeout == 7.0


def test_environment_variables_override_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "app", 'metadata = "a:b"\nlock-timeout = 7\n')
    monkeypatch.setenv("SCHEMA_TOOLS_LOCK_TIMEOUT", "3")
    monkeypatch.setenv(PROJECT_ENV, str(app))
    project = find_project(tmp_path)  # $SCHEMA_TOOLS_PROJECT wins over where the search would start
    assert project.root == app and project.lock_timeout == 3.0


def test_alembic_paths_are_absolute_so_any_working_directory_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "app", None)
    outside = tmp_path / "shared_versions"
    outside.mkdir()
    ini = app / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]\n", f"[alembic]\nversion_locations = {outside}\n"))
    monkeypatch.chdir(tmp_path)
    config = find_project(app).alembic_config()
    assert config.get_main_option("script_location") == str(app / "migrations")
    assert config.get_version_locations_list() == [str(outside)]


def test_alembics_own_pyproject_table_works_without_an_ini(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "migrations" / "versions").mkdir(parents=True)
    (app / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "%(here)s/migrations"\n\n[tool.schema-tools]\nmetadata = "x:y"\n'
    )
    project = find_project(app)
    assert project.alembic_ini is None and project.alembic_toml == app / "pyproject.toml"
    assert project.alembic_config().get_alembic_option("script_location") == str(app / "migrations")


def test_an_explicit_config_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"Alembic config not found: .*nowhere.ini: check --config"):
        find_project(config=tmp_path / "nowhere.ini")


def test_a_folder_without_alembic_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no alembic.ini found in .* pass --config"):
        find_project(tmp_path).alembic_config()
