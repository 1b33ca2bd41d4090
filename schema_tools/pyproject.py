"""Find the app around a folder: [tool.schema-tools] in pyproject.toml, an alembic.ini or [tool.alembic]."""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .alembic_paths import resolve_path
from .errors import ConfigurationError
from .file_stamps import Stamp, settled, stamp
from .project import (
    CONNECT_TIMEOUT_ENV,
    DDL_LOCK_TIMEOUT_ENV,
    DDL_RETRIES_ENV,
    DDL_RETRY_BACKOFF_ENV,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DDL_LOCK_TIMEOUT,
    DEFAULT_DDL_RETRIES,
    DEFAULT_DDL_RETRY_BACKOFF,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_STATEMENT_TIMEOUT,
    DEFAULT_URL_ENV,
    LOCK_TIMEOUT_ENV,
    PROJECT_ENV,
    STATEMENT_TIMEOUT_ENV,
    TABLE,
    Project,
)

KEYS = (
    "metadata", "alembic-ini", "url-env", "import", "backup-dir", "connect-timeout", "lock-timeout", "scratch-setup",
    "ddl-lock-timeout", "statement-timeout", "ddl-retries", "ddl-retry-backoff",
)  # fmt: skip
# Keys that may be 0 ("no limit", "no retry"), and the one that counts rather than measures seconds.
_ZERO_ALLOWED = ("ddl-lock-timeout", "statement-timeout", "ddl-retries", "ddl-retry-backoff")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"cannot read {path}: {error}: fix the TOML") from None
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None


# pyproject.toml's tables by its absolute path, with its stamp: every command and fleet check finds the app again.
_TABLES: dict[str, tuple[Stamp, tuple[dict[str, Any] | None, bool]]] = {}


def tool_tables(pyproject: Path) -> tuple[dict[str, Any] | None, bool]:
    """([tool.schema-tools] or None, whether [tool.alembic] is present) of one pyproject.toml.

    Parsed again only when the file's stamp changed (a fleet worker finds the app for every database)."""
    read_ns = time.time_ns()
    path = os.path.abspath(pyproject)
    now = stamp(path)
    known = _TABLES.get(path)
    if known is None or known[0] != now:
        known = (now, _tool_tables(pyproject))
        if settled([now], read_ns):
            _TABLES[path] = known
    table, alembic_in_toml = known[1]
    return (dict(table) if table is not None else None), alembic_in_toml


def _tool_tables(pyproject: Path) -> tuple[dict[str, Any] | None, bool]:
    tool = _read_toml(pyproject).get("tool", {})
    if not isinstance(tool, dict):
        return None, False
    table = tool.get("schema-tools", tool.get("schema_tools"))
    if table is not None and not isinstance(table, dict):
        raise ConfigurationError(f"[{TABLE}] in {pyproject} must be a table")
    return table, isinstance(tool.get("alembic"), dict)


def _number(value: Any, key: str, where: Path) -> float:
    if key in _ZERO_ALLOWED and not isinstance(value, bool) and isinstance(value, int | float) and value == 0:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{key} in [{TABLE}] of {where} must be a positive number of seconds, not {value!r}")
    return float(value)


def _count(value: Any, key: str, where: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{key} in [{TABLE}] of {where} must be a whole number (0 or more), not {value!r}")
    return value


def _is_spec(value: Any) -> bool:
    """A "module:name" string."""
    return isinstance(value, str) and ":" in value


def _is_variable(value: Any) -> bool:
    return isinstance(value, str) and value.replace("_", "").isalnum()


# key -> (what a valid value is, what the message says it must be); absent keys are not checked.
_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "metadata": (_is_spec, 'must be "module:attribute", e.g. "yourapp.models:Base.metadata"'),
    "url-env": (_is_variable, "must name an environment variable"),
    "alembic-ini": (lambda value: isinstance(value, str), "must be a path"),
    "backup-dir": (lambda value: isinstance(value, str), "must be a path"),
    "scratch-setup": (_is_spec, 'must be "module:function", called with an Engine'),
}


def _checked(table: dict[str, Any], pyproject: Path) -> dict[str, Any]:
    """The table's values by dashed key, each checked; a wrong one is a one-line error naming the file."""
    values = {key.replace("_", "-"): value for key, value in table.items()}
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ConfigurationError(
            f"unknown key {', '.join(unknown)} in [{TABLE}] of {pyproject}: the keys are {', '.join(KEYS)}"
        )
    for key, (valid, must) in _CHECKS.items():
        if key in values and values[key] is not None and not valid(values[key]):
            raise ConfigurationError(f"{key} in [{TABLE}] of {pyproject} {must}")
    imports = values.get("import", [])
    values["import"] = [imports] if isinstance(imports, str) else imports
    if not isinstance(values["import"], list) or not all(isinstance(name, str) for name in values["import"]):
        raise ConfigurationError(f"import in [{TABLE}] of {pyproject} must be a list of module names")
    return values


def _ini_of(root: Path, pyproject: Path, ini_value: str | None) -> Path:
    """The alembic.ini the table names (which must exist), else alembic.ini in the app's folder."""
    ini = resolve_path(root, ini_value) if ini_value else root / "alembic.ini"
    if ini_value and not ini.is_file():
        raise ConfigurationError(f"alembic-ini in [{TABLE}] of {pyproject} names {ini}, which does not exist")
    return ini


def from_table(root: Path, pyproject: Path, table: dict[str, Any], alembic_in_toml: bool) -> Project:
    """The Project that [tool.schema-tools] in `pyproject` describes."""
    values = _checked(table, pyproject)
    ini = _ini_of(root, pyproject, values.get("alembic-ini"))
    backup_dir = values.get("backup-dir")
    return Project(
        root=root,
        pyproject=pyproject,
        alembic_ini=ini if ini.is_file() else None,
        alembic_toml=pyproject if alembic_in_toml else None,
        metadata=values.get("metadata"),
        imports=tuple(values["import"]),
        url_env=values.get("url-env", DEFAULT_URL_ENV),
        backup_dir=resolve_path(root, backup_dir) if backup_dir else None,
        connect_timeout=_number(values.get("connect-timeout", DEFAULT_CONNECT_TIMEOUT), "connect-timeout", pyproject),
        lock_timeout=_number(values.get("lock-timeout", DEFAULT_LOCK_TIMEOUT), "lock-timeout", pyproject),
        ddl_lock_timeout=_number(
            values.get("ddl-lock-timeout", DEFAULT_DDL_LOCK_TIMEOUT), "ddl-lock-timeout", pyproject
        ),
        statement_timeout=_number(
            values.get("statement-timeout", DEFAULT_STATEMENT_TIMEOUT), "statement-timeout", pyproject
        ),
        ddl_retries=_count(values.get("ddl-retries", DEFAULT_DDL_RETRIES), "ddl-retries", pyproject),
        ddl_retry_backoff=_number(
            values.get("ddl-retry-backoff", DEFAULT_DDL_RETRY_BACKOFF), "ddl-retry-backoff", pyproject
        ),
        scratch_setup=values.get("scratch-setup"),
        origin=f"[{TABLE}] in {pyproject}",
    )


def search(start: Path) -> Project | None:
    """The nearest folder up from `start` with [tool.schema-tools], an alembic.ini or [tool.alembic]."""
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        table, alembic_in_toml = tool_tables(pyproject) if pyproject.is_file() else (None, False)
        if table is not None:
            return from_table(folder, pyproject, table, alembic_in_toml)
        ini = folder / "alembic.ini"
        if ini.is_file() or alembic_in_toml:
            return Project(
                root=folder,
                alembic_ini=ini if ini.is_file() else None,
                alembic_toml=pyproject if alembic_in_toml else None,
                origin=str(ini if ini.is_file() else pyproject),
            )
    return None


def _seconds(name: str) -> float | None:
    """$name as a number of seconds (None when unset); anything else is a one-line error."""
    raw = os.environ.get(name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigurationError(f"${name} must be a number of seconds, not {raw!r}")
    return value


def with_environment(project: Project) -> Project:
    """Environment variables override the file: timeouts from SCHEMA_TOOLS_*_TIMEOUT."""
    changes: dict[str, Any] = {}
    for name, attribute in (
        (CONNECT_TIMEOUT_ENV, "connect_timeout"),
        (LOCK_TIMEOUT_ENV, "lock_timeout"),
        (DDL_LOCK_TIMEOUT_ENV, "ddl_lock_timeout"),
        (STATEMENT_TIMEOUT_ENV, "statement_timeout"),
        (DDL_RETRY_BACKOFF_ENV, "ddl_retry_backoff"),
    ):
        value = _seconds(name)
        if value is not None:
            changes[attribute] = value
    retries = os.environ.get(DDL_RETRIES_ENV)
    if retries:
        if not retries.strip().isdigit():
            raise ConfigurationError(f"${DDL_RETRIES_ENV} must be a whole number (0 or more), not {retries!r}")
        changes["ddl_retries"] = int(retries)
    return replace(project, **changes) if changes else project


def _contains(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def _for_config_file(config: str | os.PathLike[str]) -> Project:
    """The app of an Alembic config named explicitly: an alembic.ini, or a pyproject.toml with [tool.alembic]."""
    path = Path(config).expanduser().resolve()
    if not path.is_file():
        raise ConfigurationError(f"Alembic config not found: {path}: check --config")
    found = search(path.parent)
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        _, alembic_in_toml = tool_tables(path)
        if not alembic_in_toml:
            raise ConfigurationError(f"{path} has no [tool.alembic] table: pass your alembic.ini instead")
        base = found if found is not None else Project(root=path.parent)
        return with_environment(replace(base, alembic_ini=None, alembic_toml=path, origin=str(path)))
    base = found if found is not None and _contains(found.root, path) else Project(root=path.parent)
    return with_environment(replace(base, alembic_ini=path, origin=base.origin or str(path)))


def find_project(
    start: str | os.PathLike[str] | None = None, *, config: str | os.PathLike[str] | None = None
) -> Project:
    """The app around `start` (default: $SCHEMA_TOOLS_PROJECT, else the working directory), searched upward.

    `config` names the Alembic config file explicitly (--config): an alembic.ini, or a pyproject.toml
    holding [tool.alembic]. [tool.schema-tools] is still looked for from that file's folder upward.
    """
    if config is not None:
        return _for_config_file(config)
    explicit = os.environ.get(PROJECT_ENV)
    origin = Path(explicit).expanduser() if explicit else Path(start) if start is not None else Path.cwd()
    origin = origin.resolve()
    if origin.is_file():
        if origin.suffix != ".toml" or tool_tables(origin)[1]:
            return _for_config_file(origin)
        origin = origin.parent  # a pyproject.toml without [tool.alembic]: the search starts in its folder
    if explicit and not origin.is_dir():
        raise ConfigurationError(f"${PROJECT_ENV} names {origin}, which does not exist")
    found = search(origin)
    return with_environment(found if found is not None else Project(root=origin))
