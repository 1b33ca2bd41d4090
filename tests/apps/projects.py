"""User projects for two real apps whose models and Alembic histories come from PyPI: optuna and mlflow.

Each builder writes what a user adopting schema-tools would write: an alembic.ini whose script_location
is the installed package's migration folder (absolute, from the package's __file__) and whose
sqlalchemy.url is a SQLite file inside the project, plus a pyproject.toml with [tool.schema-tools].
See FINDINGS.md beside this file for what these histories do on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

# The logging sections are not optional for optuna: its env.py calls
# logging.config.fileConfig(config.config_file_name) whenever the root logger has no handlers
# (the alembic CLI), and fileConfig raises KeyError: 'formatters' on an ini without them.
# fileConfig reads the format raw, so it takes single % signs (%% would be printed literally).
_LOGGING = """
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""


@dataclass(frozen=True)
class App:
    """One app under test: its pin, its models as schema-tools names them, and its Alembic history."""

    name: str
    distribution: str
    version: str
    migrations_package: str
    migrations_folder: str
    metadata: str
    imports: tuple[str, ...]
    url_env: str
    db_file: str
    base: str
    head: str
    revisions: int
    initial_metadata: str | None
    offline_unreadable: frozenset[str]
    offline_unreadable_downgrade: frozenset[str]
    make_project: Callable[[Path], Path]


def script_location(migrations_package: str, migrations_folder: str) -> Path:
    """The absolute path of an installed package's Alembic script folder."""
    module = importlib.import_module(migrations_package)
    assert module.__file__ is not None
    folder = Path(module.__file__).resolve().parent
    return folder / migrations_folder if migrations_folder else folder


def _escape(value: str) -> str:
    """Escape % for Alembic's ConfigParser interpolation."""
    return value.replace("%", "%%")


def _alembic_ini(location: Path, db_path: Path) -> str:
    """An alembic.ini pointing at `location` and at a SQLite file, with the logging sections optuna needs."""
    return (
        "[alembic]\n"
        f"script_location = {_escape(str(location))}\n"
        f"sqlalchemy.url = {_escape(f'sqlite:///{db_path}')}\n" + _LOGGING
    )


def _pyproject(name: str, metadata: str, url_env: str, imports: tuple[str, ...], setup: str | None = None) -> str:
    """A pyproject.toml with the [tool.schema-tools] table."""
    listed = ", ".join(f'"{module}"' for module in imports)
    extra = f'scratch-setup = "{setup}"\n' if setup else ""
    return (
        "[project]\n"
        f'name = "{name}-user-project"\n'
        'version = "0.0.0"\n\n'
        "[tool.schema-tools]\n"
        f'metadata = "{metadata}"\n'
        'alembic-ini = "alembic.ini"\n'
        f'url-env = "{url_env}"\n'
        f"import = [{listed}]\n" + extra
    )


def _write_project(root: Path, app: App) -> Path:
    """Write `app`'s project folder under `root` and return it."""
    project = (root / f"{app.name}-project").resolve()
    project.mkdir(parents=True, exist_ok=True)
    location = script_location(app.migrations_package, app.migrations_folder)
    (project / "alembic.ini").write_text(_alembic_ini(location, project / app.db_file))
    setup = None
    if app.initial_metadata is not None:
        # As a user of such an app writes once: scratch databases start from the tables the app creates itself.
        module, _, attribute = app.initial_metadata.partition(":")
        (project / "scratch_setup.py").write_text(
            '"""The tables the app creates before its first revision, on a new scratch database."""\n\n'
            f"from {module} import {attribute.split('.')[0]}\n\n\n"
            "def create_initial_tables(engine):\n"
            f"    {attribute}.create_all(engine)\n"
        )
        setup = "scratch_setup:create_initial_tables"
    (project / "pyproject.toml").write_text(_pyproject(app.name, app.metadata, app.url_env, app.imports, setup))
    return project


def _load(spec: str) -> sa.MetaData:
    """Import 'module:attr.path' and return the MetaData it names."""
    module_name, _, attribute = spec.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    assert isinstance(obj, sa.MetaData), spec
    return obj


def prepare_database(app: App, url: str | sa.URL) -> None:
    """Create the pre-Alembic tables the app's first revision expects (mlflow only; optuna needs nothing)."""
    if app.initial_metadata is None:
        return
    engine = sa.create_engine(url)
    try:
        _load(app.initial_metadata).create_all(engine)
    finally:
        engine.dispose()


def optuna_project(root: Path) -> Path:
    """Write an optuna user project under `root`; `alembic upgrade head` works on its empty SQLite file."""
    return _write_project(root, OPTUNA)


def mlflow_project(root: Path) -> Path:
    """Write an mlflow user project under `root`, its SQLite file holding mlflow's pre-Alembic tables."""
    project = _write_project(root, MLFLOW)
    prepare_database(MLFLOW, f"sqlite:///{project / MLFLOW.db_file}")
    return project


OPTUNA = App(
    name="optuna",
    distribution="optuna",
    version="5.0.0",
    migrations_package="optuna.storages._rdb",
    migrations_folder="alembic",
    metadata="optuna.storages._rdb.models:BaseModel.metadata",
    imports=("optuna.storages._rdb.models",),
    url_env="OPTUNA_DB_URL",
    db_file="optuna.db",
    base="v0.9.0.a",
    head="v3.2.0.a",
    revisions=10,
    initial_metadata=None,
    offline_unreadable=frozenset({"v1.3.0.a", "v2.4.0.a", "v3.0.0.a", "v3.0.0.b", "v3.0.0.c", "v3.0.0.d"}),
    offline_unreadable_downgrade=frozenset({"v1.3.0.a", "v3.0.0.a", "v3.0.0.c", "v3.0.0.d"}),
    make_project=optuna_project,
)

MLFLOW = App(
    name="mlflow",
    distribution="mlflow-skinny",
    version="3.17.2",
    migrations_package="mlflow.store.db_migrations",
    migrations_folder="",
    metadata="mlflow.store.db.base_sql_model:Base.metadata",
    imports=(
        "mlflow.store.tracking.dbmodels.models",
        "mlflow.store.model_registry.dbmodels.models",
        "mlflow.store.workspace.dbmodels.models",
    ),
    url_env="MLFLOW_DB_URL",
    db_file="mlflow.db",
    base="451aebb31d03",
    head="dc11669786a5",
    revisions=67,
    # mlflow runs InitialBase.metadata.create_all(engine) before its first `upgrade heads`;
    # 451aebb31d03 starts with ALTER TABLE metrics, so a plain upgrade of an empty database fails.
    initial_metadata="mlflow.store.tracking.dbmodels.initial_models:Base.metadata",
    offline_unreadable=frozenset(
        {"90e64c465722", "89d4b8295536", "3500859a5d39", "0584bdc529eb", "1b5f0d9ad7c1", "75868b020152", "dc11669786a5"}
    ),
    offline_unreadable_downgrade=frozenset({"1b5f0d9ad7c1", "75868b020152"}),
    make_project=mlflow_project,
)

APPS: tuple[App, ...] = (OPTUNA, MLFLOW)
