"""Project: one app as schema-tools sees it, with its Alembic config, its URL in the one order, its models."""

from __future__ import annotations

import argparse
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Engine

from .alembic_paths import absolute_paths, resolve_path
from .app_imports import add_paths, attribute_of, import_metadata
from .app_urls import ini_url, url_in_order
from .errors import ConfigurationError

PROJECT_ENV = "SCHEMA_TOOLS_PROJECT"
METADATA_ENV = "SCHEMA_TOOLS_METADATA"
CONNECT_TIMEOUT_ENV = "SCHEMA_TOOLS_CONNECT_TIMEOUT"
LOCK_TIMEOUT_ENV = "SCHEMA_TOOLS_LOCK_TIMEOUT"
DDL_LOCK_TIMEOUT_ENV = "SCHEMA_TOOLS_DDL_LOCK_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "SCHEMA_TOOLS_STATEMENT_TIMEOUT"
DDL_RETRIES_ENV = "SCHEMA_TOOLS_DDL_RETRIES"
DDL_RETRY_BACKOFF_ENV = "SCHEMA_TOOLS_DDL_RETRY_BACKOFF"
DEFAULT_URL_ENV = "DATABASE_URL"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_LOCK_TIMEOUT = 300.0
DEFAULT_DDL_LOCK_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 0.0
DEFAULT_DDL_RETRIES = 3
DEFAULT_DDL_RETRY_BACKOFF = 1.0
TABLE = "tool.schema-tools"
PROJECT_ATTRIBUTE = "schema_tools.project"


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
    # A guarded migration's DDL gives up a lock wait after ddl_lock_timeout seconds (instead of queueing every
    # later query behind it) and retries ddl_retries times, waiting backoff, 2x backoff, ...; 0 means no limit.
    ddl_lock_timeout: float = DEFAULT_DDL_LOCK_TIMEOUT
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT
    ddl_retries: int = DEFAULT_DDL_RETRIES
    ddl_retry_backoff: float = DEFAULT_DDL_RETRY_BACKOFF
    # "module:function" run on every new, empty scratch database before the first revision: for histories that
    # start on tables the app creates itself (MLflow's first revision alters a table no revision creates).
    scratch_setup: str | None = None
    # Where each setting came from, for messages ("[tool.schema-tools] in /app/pyproject.toml").
    origin: str = field(default="", compare=False)

    @property
    def has_alembic(self) -> bool:
        """Whether the app has an Alembic config (alembic.ini, or [tool.alembic] in pyproject.toml)."""
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
        absolute_paths(config, self._base_dir())
        config.attributes["configure_logging"] = False
        config.attributes[PROJECT_ATTRIBUTE] = self
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
        return ini_url(self.alembic_ini)

    def database_url(self, explicit: str | URL | None = None) -> URL:
        """The database to work on: --url, then $url-env, then alembic.ini's sqlalchemy.url, else a clear error.

        A relative database file path means a file in the app's directory, whatever the working directory is.
        """
        return url_in_order(
            explicit, url_env=self.url_env, root=self.root, alembic_ini=self.alembic_ini, ini_base=self._base_dir()
        )

    def load_metadata(self, spec: str | None = None) -> MetaData:
        """The app's models: `spec` ("module:attribute"), else $SCHEMA_TOOLS_METADATA, else the configured one."""
        chosen = spec or os.environ.get(METADATA_ENV) or self.metadata
        if not chosen:
            raise ConfigurationError(
                'no models configured: add metadata = "yourapp.models:Base.metadata" under [tool.schema-tools] '
                f"in {self.pyproject or self.root / 'pyproject.toml'}, or pass --metadata module:attribute"
            )
        return import_metadata(chosen, self.imports, tuple(str(p) for p in self.sys_paths()))

    def prepare_scratch(self, engine: Engine) -> None:
        """Run the app's scratch-setup function on a new, empty scratch database (nothing when unset)."""
        if not self.scratch_setup:
            return
        module_name, _, attribute = self.scratch_setup.partition(":")
        add_paths(str(p) for p in self.sys_paths())
        try:
            function = attribute_of(importlib.import_module(module_name), attribute)
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
            paths += [resolve_path(self._base_dir(), entry) for entry in extra]
        return paths
