"""The app's configuration: where its Project is found, and its Alembic config, URL and models from there.

The pieces live in their own modules (project.py, pyproject.py, app_urls.py, app_imports.py,
alembic_paths.py); this module is what the rest of schema-tools imports them from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import URL

from .alembic_paths import display_path
from .app_urls import ALEMBIC_PLACEHOLDER, resolve_sqlite_path
from .project import (
    CONNECT_TIMEOUT_ENV,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_URL_ENV,
    LOCK_TIMEOUT_ENV,
    METADATA_ENV,
    PROJECT_ATTRIBUTE,
    PROJECT_ENV,
    TABLE,
    Project,
)
from .pyproject import KEYS, find_project

__all__ = [
    "ALEMBIC_PLACEHOLDER",
    "CONNECT_TIMEOUT_ENV",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_URL_ENV",
    "KEYS",
    "LOCK_TIMEOUT_ENV",
    "METADATA_ENV",
    "PROJECT_ENV",
    "TABLE",
    "Project",
    "alembic_config",
    "database_url",
    "display_path",
    "find_project",
    "load_metadata",
    "project_of",
    "project_root",
    "resolve_sqlite_path",
]


def project_of(config: Config | None = None) -> Project:
    """The Project an Alembic Config belongs to (the current one when None)."""
    if config is None:
        return find_project()
    known = config.attributes.get(PROJECT_ATTRIBUTE)
    if isinstance(known, Project):
        return known
    file_name = config.config_file_name or config.toml_file_name
    project = find_project(config=file_name) if file_name else find_project()
    config.attributes[PROJECT_ATTRIBUTE] = project
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
