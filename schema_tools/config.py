"""The app's configuration: [tool.schema-tools] in pyproject.toml, its Alembic config, the URL order, its models."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Engine

from .errors import ConfigurationError

PROJECT_ENV = "SCHEMA_TOOLS_PROJECT"
METADATA_ENV = "SCHEMA_TOOLS_METADATA"
CONNECT_TIMEOUT_ENV = "SCHEMA_TOOLS_CONNECT_TIMEOUT"
LOCK_TIMEOUT_ENV = "SCHEMA_TOOLS_LOCK_TIMEOUT"
DEFAULT_URL_ENV = "DATABASE_URL"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_LOCK_TIMEOUT = 300.0
TABLE = "tool.schema-tools"
KEYS = (
    "metadata", "alembic-ini", "url-env", "import", "backup-dir", "connect-timeout", "lock-timeout", "scratch-setup",
)  # fmt: skip
ALEMBIC_PLACEHOLDER = "driver://user:pass@localhost/dbname"
_PROJECT_ATTRIBUTE = "schema_tools.project"


@dataclass(frozen=True)
class Project:
    """One app as schema-tools sees it: where it lives, its Alembic config, its models and its URL variable."""

    root: Path
    pyproject: Path | None = None
    alembic_ini: Path | None = None
    alembic_toml: Path | None = None
    metadata: str | None = None
    imports: tuple[str, ...] = ()
    url_env: str = DEFAULT_URL_ENV
    backup_dir: Path | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    # "module:function" run on every new, empty scratch database before the first revision: for histories that
    # start on tables the app creates itself (MLflow's first revision alters a table no revision creates).
    scratch_setup: str | None = None
    # Where each setting came from, for messages ("[tool.schema-tools] in /app/pyproject.toml").
    origin: str = field(default="", compare=False)

    @property
    def has_alembic(self) -> bool:
        return self.alembic_ini is not None or self.alembic_toml is not None

    def alembic_config(self, *, quiet: bool = False, **attributes: Any) -> Config:
        """A fresh Alembic Config for this app, with paths made absolute so any working directory works.

        `attributes` go to env.py (Alembic's config.attributes); quiet silences Alembic's progress lines.
        """
        if not self.has_alembic:
            raise ConfigurationError(
                f"no alembic.ini found in {self.root} or any parent: run from your app's directory, "
                "pass --config PATH/alembic.ini, or set alembic-ini under [tool.schema-tools] in pyproject.toml"
            )
        config = Config(
            str(self.alembic_ini) if self.alembic_ini else None,
            toml_file=str(self.alembic_toml) if self.alembic_toml else None,
            cmd_opts=argparse.Namespace(quiet=quiet, x=[]),
        )
        _absolute_paths(config, self._base_dir())
        config.attributes["configure_logging"] = False
        config.attributes[_PROJECT_ATTRIBUTE] = self
        config.attributes.update(attributes)
        return config

    def _base_dir(self) -> Path:
        """What relative Alembic paths mean: the folder of the ini (or of the pyproject.toml holding [tool.alembic])."""
        if self.alembic_ini is not None:
            return self.alembic_ini.parent
        if self.alembic_toml is not None:
            return self.alembic_toml.parent
        return self.root

    def ini_url(self) -> str | None:
        """sqlalchemy.url from the app's alembic.ini, with %(here)s filled in (None when unset)."""
        if self.alembic_ini is None:
            return None
        config = Config(str(self.alembic_ini))
        try:
            value = config.get_main_option("sqlalchemy.url")
        except Exception:  # configparser's message would echo the URL, password included
            raise ConfigurationError(
                f"cannot read sqlalchemy.url from {self.alembic_ini}: a % in it must be written %% in an ini file"
            ) from None
        text = (value or "").strip().strip('"').strip("'")
        return text or None

    def database_url(self, explicit: str | URL | None = None) -> URL:
        """The database to work on: --url, then $url-env, then alembic.ini's sqlalchemy.url, else a clear error.

        A relative SQLite path means a file in the app's directory, whatever the working directory is.
        """
        from .connect import parse_url

        if explicit is not None and str(explicit).strip():
            return resolve_sqlite_path(parse_url(explicit), self.root)
        from_env = os.environ.get(self.url_env, "").strip()
        if from_env:
            return resolve_sqlite_path(parse_url(from_env), self.root)
        from_ini = self.ini_url()
        if from_ini and from_ini != ALEMBIC_PLACEHOLDER and not from_ini.startswith("driver://"):
            return resolve_sqlite_path(parse_url(from_ini), self._base_dir())
        where = f"sqlalchemy.url in {self.alembic_ini}" if self.alembic_ini else "an alembic.ini with sqlalchemy.url"
        placeholder = " (it holds Alembic's placeholder)" if from_ini else ""
        raise ConfigurationError(f"no database URL: pass --url, set ${self.url_env}, or set {where}{placeholder}")

    def load_metadata(self, spec: str | None = None) -> MetaData:
        """The app's models: `spec` ("module:attribute"), else $SCHEMA_TOOLS_METADATA, else the configured one."""
        chosen = spec or os.environ.get(METADATA_ENV) or self.metadata
        if not chosen:
            raise ConfigurationError(
                'no models configured: add metadata = "yourapp.models:Base.metadata" under [tool.schema-tools] '
                f"in {self.pyproject or self.root / 'pyproject.toml'}, or pass --metadata module:attribute"
            )
        return _import_metadata(chosen, self.imports, tuple(str(p) for p in self.sys_paths()))

    def prepare_scratch(self, engine: Engine) -> None:
        """Run the app's scratch-setup function on a new, empty scratch database (nothing when unset)."""
        if not self.scratch_setup:
            return
        module_name, _, attribute = self.scratch_setup.partition(":")
        for path in reversed([str(p) for p in self.sys_paths()]):
            if path not in sys.path:
                sys.path.insert(0, path)
        try:
            function: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                function = getattr(function, part)
        except (ImportError, AttributeError) as error:
            raise ConfigurationError(
                f"scratch-setup {self.scratch_setup!r} cannot be loaded ({error}): check the name in [{TABLE}]"
            ) from None
        function(engine)

    def sys_paths(self) -> list[Path]:
        """Folders the app's modules import from: its root and Alembic's prepend_sys_path (as Alembic does)."""
        paths = [self.root]
        if self.has_alembic:
            config = Config(
                str(self.alembic_ini) if self.alembic_ini else None,
                toml_file=str(self.alembic_toml) if self.alembic_toml else None,
            )
            try:
                extra = config.get_prepend_sys_paths_list() or []
            except Exception:  # a malformed option is reported when Alembic itself reads it
                extra = []
            paths += [_resolve(self._base_dir(), entry) for entry in extra]
        return paths


def display_path(path: str | os.PathLike[str], root: Path) -> str:
    """A path as shown to the user: relative to the app's folder when inside it, else as it is."""
    try:
        return str(Path(path).relative_to(root))
    except ValueError:  # version_locations outside the app's folder, say
        return str(path)


def resolve_sqlite_path(url: URL, base: Path) -> URL:
    """A SQLite URL whose relative file path is taken relative to `base`; other URLs unchanged."""
    if url.get_backend_name() != "sqlite":
        return url
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if path.is_absolute():
        return url
    return url.set(database=str((base / path).resolve()))


def _resolve(base: Path, entry: str) -> Path:
    path = Path(entry).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _absolute_paths(config: Config, base: Path) -> None:
    """Make script_location, version_locations and prepend_sys_path absolute (Alembic reads them from the cwd)."""
    location = config.get_alembic_option("script_location")
    if not location:
        where = config.config_file_name or config.toml_file_name
        raise ConfigurationError(f"{where} has no script_location: set it to your migrations folder")
    resolved = _existing(base, str(location))
    config.set_main_option("script_location", _escape(str(resolved)))
    versions = config.get_version_locations_list()
    prepend = config.get_prepend_sys_paths_list()
    if versions or prepend:
        config.set_main_option("path_separator", "os")
    if versions:
        joined = os.pathsep.join(str(_existing(base, entry)) for entry in versions)
        config.set_main_option("version_locations", _escape(joined))
    if prepend:
        config.set_main_option("prepend_sys_path", _escape(os.pathsep.join(str(_resolve(base, p)) for p in prepend)))


def _existing(base: Path, entry: str) -> Path:
    """A relative Alembic path: beside the config file if it exists there, else from the cwd, as Alembic reads it."""
    path = Path(entry).expanduser()
    if path.is_absolute():
        return path
    beside = (base / path).resolve()
    if beside.exists():
        return beside
    from_cwd = path.resolve()
    if from_cwd.exists():
        return from_cwd
    return Path(entry) if _is_package_path(entry) else beside


def _is_package_path(entry: str) -> bool:
    """Alembic accepts "package:folder" script locations."""
    head, _, tail = entry.partition(":")
    return bool(head) and bool(tail) and "/" not in head and "\\" not in head


def _escape(value: str) -> str:
    return value.replace("%", "%%")


@cache
def _import_metadata(spec: str, imports: tuple[str, ...], paths: tuple[str, ...]) -> MetaData:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"metadata {spec!r} is not 'module:attribute': e.g. --metadata yourapp.models:Base.metadata"
        )
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    for name in (*imports, module_name):
        try:
            module: Any = importlib.import_module(name)
        except ImportError as exc:
            raise ConfigurationError(
                f"cannot import module {name!r} for metadata {spec!r} ({exc}): check the module name "
                "and that the app's directory holds it"
            ) from None
    obj: Any = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ConfigurationError(f"module {module_name!r} has no attribute {attribute!r}: check metadata {spec!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, MetaData):
        raise ConfigurationError(
            f"{spec!r} is a {type(obj).__name__}, not a sqlalchemy MetaData: point at Base.metadata"
        )
    return obj


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"cannot read {path}: {error}: fix the TOML") from None
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None


def _tool_tables(pyproject: Path) -> tuple[dict[str, Any] | None, bool]:
    """([tool.schema-tools] or None, whether [tool.alembic] is present) of one pyproject.toml."""
    tool = _read_toml(pyproject).get("tool", {})
    if not isinstance(tool, dict):
        return None, False
    table = tool.get("schema-tools", tool.get("schema_tools"))
    if table is not None and not isinstance(table, dict):
        raise ConfigurationError(f"[{TABLE}] in {pyproject} must be a table")
    return table, isinstance(tool.get("alembic"), dict)


def _number(value: Any, key: str, where: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{key} in [{TABLE}] of {where} must be a positive number of seconds, not {value!r}")
    return float(value)


def _from_table(root: Path, pyproject: Path, table: dict[str, Any], alembic_in_toml: bool) -> Project:
    values = {key.replace("_", "-"): value for key, value in table.items()}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigurationError(
            f"unknown key {', '.join(unknown)} in [{TABLE}] of {pyproject}: the keys are {', '.join(KEYS)}"
        )
    metadata = values.get("metadata")
    if metadata is not None and (not isinstance(metadata, str) or ":" not in metadata):
        raise ConfigurationError(
            f'metadata in [{TABLE}] of {pyproject} must be "module:attribute", e.g. "yourapp.models:Base.metadata"'
        )
    imports = values.get("import", [])
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, list) or not all(isinstance(name, str) for name in imports):
        raise ConfigurationError(f"import in [{TABLE}] of {pyproject} must be a list of module names")
    url_env = values.get("url-env", DEFAULT_URL_ENV)
    if not isinstance(url_env, str) or not url_env.replace("_", "").isalnum():
        raise ConfigurationError(f"url-env in [{TABLE}] of {pyproject} must name an environment variable")
    ini_value = values.get("alembic-ini")
    if ini_value is not None and not isinstance(ini_value, str):
        raise ConfigurationError(f"alembic-ini in [{TABLE}] of {pyproject} must be a path")
    ini = _resolve(root, ini_value) if ini_value else root / "alembic.ini"
    if ini_value and not ini.is_file():
        raise ConfigurationError(f"alembic-ini in [{TABLE}] of {pyproject} names {ini}, which does not exist")
    backup_dir = values.get("backup-dir")
    if backup_dir is not None and not isinstance(backup_dir, str):
        raise ConfigurationError(f"backup-dir in [{TABLE}] of {pyproject} must be a path")
    scratch_setup = values.get("scratch-setup")
    if scratch_setup is not None and (not isinstance(scratch_setup, str) or ":" not in scratch_setup):
        raise ConfigurationError(
            f'scratch-setup in [{TABLE}] of {pyproject} must be "module:function", called with an Engine'
        )
    return Project(
        root=root,
        pyproject=pyproject,
        alembic_ini=ini if ini.is_file() else None,
        alembic_toml=pyproject if alembic_in_toml else None,
        metadata=metadata,
        imports=tuple(imports),
        url_env=url_env,
        backup_dir=_resolve(root, backup_dir) if backup_dir else None,
        connect_timeout=_number(values.get("connect-timeout", DEFAULT_CONNECT_TIMEOUT), "connect-timeout", pyproject),
        lock_timeout=_number(values.get("lock-timeout", DEFAULT_LOCK_TIMEOUT), "lock-timeout", pyproject),
        scratch_setup=scratch_setup,
        origin=f"[{TABLE}] in {pyproject}",
    )


def _search(start: Path) -> Project | None:
    """The nearest folder up from `start` with [tool.schema-tools], an alembic.ini or [tool.alembic]."""
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        table, alembic_in_toml = _tool_tables(pyproject) if pyproject.is_file() else (None, False)
        if table is not None:
            return _from_table(folder, pyproject, table, alembic_in_toml)
        ini = folder / "alembic.ini"
        if ini.is_file() or alembic_in_toml:
            return Project(
                root=folder,
                alembic_ini=ini if ini.is_file() else None,
                alembic_toml=pyproject if alembic_in_toml else None,
                origin=str(ini if ini.is_file() else pyproject),
            )
    return None


def _with_environment(project: Project) -> Project:
    """Environment variables override the file: timeouts from SCHEMA_TOOLS_*_TIMEOUT."""
    changes: dict[str, Any] = {}
    for name, attribute in ((CONNECT_TIMEOUT_ENV, "connect_timeout"), (LOCK_TIMEOUT_ENV, "lock_timeout")):
        raw = os.environ.get(name)
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if value < 0:
                raise ConfigurationError(f"${name} must be a number of seconds, not {raw!r}")
            changes[attribute] = value
    return replace(project, **changes) if changes else project


def find_project(
    start: str | os.PathLike[str] | None = None, *, config: str | os.PathLike[str] | None = None
) -> Project:
    """The app around `start` (default: $SCHEMA_TOOLS_PROJECT, else the working directory), searched upward.

    `config` names the Alembic config file explicitly (--config): an alembic.ini, or a pyproject.toml
    holding [tool.alembic]. [tool.schema-tools] is still looked for from that file's folder upward.
    """
    if config is not None:
        path = Path(config).expanduser().resolve()
        if not path.is_file():
            raise ConfigurationError(f"Alembic config not found: {path}: check --config")
        found = _search(path.parent)
        if path.name == "pyproject.toml" or path.suffix == ".toml":
            _, alembic_in_toml = _tool_tables(path)
            if not alembic_in_toml:
                raise ConfigurationError(f"{path} has no [tool.alembic] table: pass your alembic.ini instead")
            base = found if found is not None else Project(root=path.parent)
            return _with_environment(replace(base, alembic_ini=None, alembic_toml=path, origin=str(path)))
        base = found if found is not None and _contains(found.root, path) else Project(root=path.parent)
        return _with_environment(replace(base, alembic_ini=path, origin=base.origin or str(path)))
    explicit = os.environ.get(PROJECT_ENV)
    origin = Path(explicit).expanduser() if explicit else Path(start) if start is not None else Path.cwd()
    origin = origin.resolve()
    if origin.is_file():
        if origin.suffix != ".toml" or _tool_tables(origin)[1]:
            return find_project(config=origin)
        origin = origin.parent  # a pyproject.toml without [tool.alembic]: the search starts in its folder

    if explicit and not origin.is_dir():
        raise ConfigurationError(f"${PROJECT_ENV} names {origin}, which does not exist")
    found = _search(origin)
    return _with_environment(found if found is not None else Project(root=origin))


def _contains(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def project_of(config: Config | None = None) -> Project:
    """The Project an Alembic Config belongs to (the current one when None)."""
    if config is None:
        return find_project()
    known = config.attributes.get(_PROJECT_ATTRIBUTE)
    if isinstance(known, Project):
        return known
    file_name = config.config_file_name or config.toml_file_name
    project = find_project(config=file_name) if file_name else find_project()
    config.attributes[_PROJECT_ATTRIBUTE] = project
    return project


def alembic_config(
    ini: str | os.PathLike[str] | Config | None = None, *, quiet: bool = False, **attributes: Any
) -> Config:
    """A fresh Alembic Config for the app (default: found from the working directory), with `attributes`."""
    if isinstance(ini, Config):
        ini.attributes.update(attributes)
        return ini
    project = find_project(config=ini) if ini is not None else find_project()
    return project.alembic_config(quiet=quiet, **attributes)


def database_url(url: str | URL | None = None, *, config: Config | None = None) -> URL:
    """The URL in the one order every command uses: `url`, then $url-env, then alembic.ini, else an error."""
    return project_of(config).database_url(url)


def load_metadata(target: MetaData | str | None = None, *, config: Config | None = None) -> MetaData:
    """The models: a MetaData as given, a "module:attribute" path, or the app's configured metadata."""
    if isinstance(target, MetaData):
        return target
    return project_of(config).load_metadata(target)


def project_root() -> Path:
    """The app's directory (where its pyproject.toml or alembic.ini is)."""
    return find_project().root
