"""Where the metadata, alembic.ini and the compare options come from; alembic/env.py uses the same."""

from __future__ import annotations

import argparse
import importlib
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy import MetaData

from .errors import ConfigurationError

DEFAULT_METADATA = "management_server.models:Base.metadata"
VERSION_TABLE = "alembic_version"
# Tables schema_tools itself keeps in the target database (applied-revision checksums, see migrate.py).
INTERNAL_TABLES = frozenset({VERSION_TABLE, "schema_tools_applied"})

_PG_CAST = re.compile(r"^('(?:[^']|'')*')::[a-z][a-z ]*(?:\(\d+(?:,\d+)?\))?$")
_NOW_SYNONYMS = {"now()", "current_timestamp", "current_timestamp()", "localtimestamp", "now"}
_TRUE = {"1", "true", "'1'", "'true'"}
_FALSE = {"0", "false", "'0'", "'false'"}


def project_root() -> Path:
    """The directory holding alembic.ini: $SCHEMA_TOOLS_PROJECT, else the nearest one up from the cwd."""
    explicit = os.environ.get("SCHEMA_TOOLS_PROJECT")
    if explicit:
        return Path(explicit).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "alembic.ini").is_file():
            return candidate
    return Path(__file__).resolve().parent.parent


def alembic_ini_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The alembic.ini to use; a clear error when it does not exist."""
    ini = Path(path) if path is not None else project_root() / "alembic.ini"
    if not ini.is_file():
        raise ConfigurationError(
            f"alembic.ini not found at {ini}: run from the project directory or pass --config PATH"
        )
    return ini


def alembic_config(ini: str | os.PathLike[str] | None = None, *, quiet: bool = False, **attributes: Any) -> Config:
    """A fresh Alembic Config for this project, with `attributes` handed to env.py (e.g. connection).

    quiet=True silences Alembic's progress lines ("Generating <path> ...") for notebooks and libraries.
    """
    ini_path = alembic_ini_path(ini)
    config = Config(str(ini_path), cmd_opts=argparse.Namespace(quiet=True, x=[]) if quiet else None)
    script_location = config.get_main_option("script_location") or "alembic"
    if not Path(script_location).is_absolute():
        config.set_main_option("script_location", str(ini_path.parent / script_location))
    config.attributes["configure_logging"] = False
    config.attributes.update(attributes)
    return config


def load_metadata(target: MetaData | str | None = None) -> MetaData:
    """The metadata to diff against: a MetaData, or a "module:attribute" path (default: the models' Base)."""
    if isinstance(target, MetaData):
        return target
    spec = target or os.environ.get("SCHEMA_TOOLS_METADATA") or DEFAULT_METADATA
    return _import_metadata(spec)


@cache
def _import_metadata(spec: str) -> MetaData:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"metadata target {spec!r} is not 'module:attribute': e.g. {DEFAULT_METADATA}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"cannot import module {module_name!r} for metadata {spec!r} ({exc}): check --metadata and PYTHONPATH"
        ) from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ConfigurationError(f"{module_name!r} has no attribute {attribute!r}: check --metadata {spec!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, MetaData):
        raise ConfigurationError(f"{spec!r} is a {type(obj).__name__}, not a sqlalchemy MetaData")
    return obj


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Reflect everything but the tables schema_tools and Alembic keep for themselves."""
    return not (type_ == "table" and name in INTERNAL_TABLES)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare everything but the bookkeeping tables."""
    return not (type_ == "table" and name in INTERNAL_TABLES)


def _normalize_default(text: str | None, column: sa.Column[Any] | None) -> str | None:
    if text is None:
        return None
    value = re.sub(r"\s+", " ", text.strip().lower())
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    value = _PG_CAST.sub(r"\1", value)  # PostgreSQL reflects 'x' as 'x'::character varying
    if value in _NOW_SYNONYMS:
        return "current_timestamp"
    if column is not None and isinstance(column.type, sa.Boolean):
        if value in _TRUE:
            return "true"
        if value in _FALSE:
            return "false"
    return value.strip("'")


def compare_server_default(
    context: Any,
    inspected_column: sa.Column[Any],
    metadata_column: sa.Column[Any],
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Treat spellings of one default as equal (MariaDB reflects now() as current_timestamp(), false as 0).

    Returns False when equal after normalising, else None so Alembic's own comparison decides.
    """
    left = _normalize_default(inspected_default, metadata_column)
    right = _normalize_default(rendered_metadata_default, metadata_column)
    if left is not None and left == right:
        return False
    return None


def compare_options(dialect_name: str) -> dict[str, Any]:
    """The options env.py and schema_tools both give Alembic, so a diff says what autogenerate would see."""
    return {
        "compare_type": True,
        "compare_server_default": compare_server_default,
        "render_as_batch": dialect_name == "sqlite",
        "include_name": include_name,
        "include_object": include_object,
        "version_table": VERSION_TABLE,
    }
