"""Per-process caches of what every database of a fleet shares: the scripts' head and the models' MetaData.

A local pool's worker process and a Celery worker process each check many databases of one project, and reading
the revision scripts again for each was about a fifth of a check. A head is reused only while the Alembic config
and every file under the version folders keep their stamps (file_stamps), so a revision added or edited between
two checks in one process is read at the second.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TypeVar

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from .errors import ConfigurationError
from .file_stamps import Stamp, settled, stamp, tree
from .project import Project
from .scripts import load_scripts

__all__ = ["CacheInfo", "Scripts", "cache_clear", "cache_info", "cached_models", "heads", "load_models"]

MAX_PROJECTS = 16  # entries one process keeps per cache: a worker serves one project, or a few
_Value = TypeVar("_Value")


@dataclass(frozen=True)
class Scripts:
    """A project's revision scripts as loaded once, with the stamps of the files they were read from."""

    config_stamps: tuple[Stamp, ...]  # the alembic.ini / pyproject.toml holding [tool.alembic]
    folders: tuple[str, ...]  # where revision files are read from
    file_stamps: tuple[Stamp, ...]  # every file under those folders
    scripts: ScriptDirectory
    heads: str | None  # sorted and comma-joined; None when the history has no revision

    def unchanged(self, project: Project) -> bool:
        """The config and every file under the folders still have the stamps they had when read."""
        return self.config_stamps == _config_stamps(project) and self.file_stamps == _files(self.folders)


@dataclass(frozen=True)
class CacheInfo:
    """How often this process loaded the scripts and the models, and how often it reused them."""

    script_loads: int
    script_hits: int
    model_loads: int
    model_hits: int


_SCRIPTS: dict[tuple[Project, str], Scripts] = {}
_MODELS: dict[tuple[Project, str], MetaData] = {}
_COUNTS = dict.fromkeys(("script_loads", "script_hits", "model_loads", "model_hits"), 0)


def cache_info() -> CacheInfo:
    return CacheInfo(**_COUNTS)


def cache_clear() -> None:
    """Forget every entry (the next check loads again) and zero the counts."""
    _SCRIPTS.clear()
    _MODELS.clear()
    _COUNTS.update(dict.fromkeys(_COUNTS, 0))


def _remember(cache: dict[tuple[Project, str], _Value], key: tuple[Project, str], value: _Value) -> None:
    if key not in cache and len(cache) >= MAX_PROJECTS:
        del cache[next(iter(cache))]  # the oldest
    cache[key] = value


def load_models(project: Project, models: str) -> MetaData:
    """The models at "module:attribute": a MetaData, or a declarative Base (its .metadata)."""
    try:
        return project.load_metadata(models)
    except ConfigurationError as error:
        try:
            return project.load_metadata(f"{models}.metadata")
        except ConfigurationError:
            raise error from None


def cached_models(project: Project, models: str) -> MetaData:
    """load_models, once per project and spec in this process (a module is imported once anyway)."""
    key = (project, models)
    if key in _MODELS:
        _COUNTS["model_hits"] += 1
        return _MODELS[key]
    metadata = load_models(project, models)
    _COUNTS["model_loads"] += 1
    if models:  # an empty spec means $SCHEMA_TOOLS_METADATA, read each time
        _remember(_MODELS, key, metadata)
    return metadata


def _config_stamps(project: Project) -> tuple[Stamp, ...]:
    return tuple(stamp(path) for path in (project.alembic_ini, project.alembic_toml) if path is not None)


def _folders(config: Config) -> tuple[str, ...] | None:
    """The folders Alembic and check_scripts read revisions from; None when they cannot be stamped (a
    "package:folder" location, or sourceless .pyc revisions under __pycache__): such scripts are never kept."""
    try:
        if config.get_alembic_boolean_option("sourceless"):
            return None
        extra = config.get_version_locations_list() or []
    except ValueError:  # a bad path_separator: load_scripts says so
        return None
    location = config.get_main_option("script_location") or ""
    folders = (os.path.join(location, "versions"), *extra)
    return folders if all(os.path.isabs(folder) for folder in folders) else None


def _files(folders: tuple[str, ...]) -> tuple[Stamp, ...]:
    return tuple(found for folder in folders for found in tree(folder))


def _load(project: Project, key: tuple[Project, str]) -> Scripts:
    """The scripts read now; kept for the next check only when every file they came from had settled."""
    read_ns = time.time_ns()  # before any stamp: a change from here on shows in the stamps
    config_stamps = _config_stamps(project)
    config = project.alembic_config(quiet=True)
    folders = _folders(config)
    file_stamps = _files(folders) if folders is not None else ()
    scripts = load_scripts(config)
    found = Scripts(config_stamps, folders or (), file_stamps, scripts, ",".join(sorted(scripts.get_heads())) or None)
    _COUNTS["script_loads"] += 1
    if folders is not None and settled((*config_stamps, *file_stamps), read_ns):
        _remember(_SCRIPTS, key, found)
    else:
        _SCRIPTS.pop(key, None)
    return found


def heads(project: Project) -> str | None:
    """The project's script heads, comma-joined (None when it has no revision); RevisionError when they are broken.

    Loaded once per process and project (and working directory: relative Alembic paths may be read from it),
    then reused while the config's and every revision file's stamps (names, mtimes, sizes) are unchanged.
    """
    key = (project, os.getcwd())
    known = _SCRIPTS.get(key)
    if known is not None and known.unchanged(project):
        _COUNTS["script_hits"] += 1
        return known.heads
    return _load(project, key).heads
