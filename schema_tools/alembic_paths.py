"""Alembic's relative paths made absolute, so a command works from any working directory."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config

from .errors import ConfigurationError


def display_path(path: str | os.PathLike[str], root: Path) -> str:
    """A path as shown to the user: relative to the app's folder when inside it, else as it is."""
    try:
        return str(Path(path).relative_to(root))
    except ValueError:  # version_locations outside the app's folder, say
        return str(path)


def resolve_path(base: Path, entry: str) -> Path:
    """`entry` taken relative to `base` (a home-relative or absolute path as it is)."""
    path = Path(entry).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def absolute_paths(config: Config, base: Path) -> None:
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
        joined = os.pathsep.join(str(resolve_path(base, entry)) for entry in prepend)
        config.set_main_option("prepend_sys_path", _escape(joined))


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
