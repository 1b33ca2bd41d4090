"""Enum labels of string columns from the app's code, so seeded values are ones the app can read back.

On SQLite an Enum made without create_constraint is a bare VARCHAR: the database takes any text, but a
revision reading a value outside the labels fails. The labels come from the models, the models and tables
revision modules define, and the operations of plain revisions (read offline, never run).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.operations import ops
from alembic.script import Script

from .config import load_metadata
from .rules.operations import flatten_ops
from .script_reading import read_operations, why_dynamic
from .seeding import enum_labels

__all__ = ["enum_hints"]


def enum_hints(config: Config, revisions: list[Script], dialect: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(table, column) -> enum labels the app's code declares for it (see the module docstring)."""
    metadatas: list[sa.MetaData] = []
    try:
        metadatas.append(load_metadata(config=config))
    except Exception:  # no models configured, or they do not import: the other sources remain
        pass
    for script in revisions:
        metadatas.extend(_module_metadata(script.module))
        operations = _operations(script, dialect)
        if operations is not None:
            metadatas.append(_operations_metadata(operations))
    return enum_labels(metadatas)


def _operations(script: Script, dialect: str) -> tuple[Any, ...] | None:
    """The upgrade's operations, read offline; None for a revision that cannot be read that way."""
    if why_dynamic(script, "upgrade") is not None:
        return None
    try:
        return read_operations(script, "upgrade", dialect)
    except Exception:  # a revision that cannot be read offline gives no labels
        return None


def _enum_columns(operation: Any) -> list[sa.Column[Any]]:
    """The Enum columns an operation creates, adds or changes a column to."""
    columns: list[sa.Column[Any]] = []
    if isinstance(operation, ops.CreateTableOp):
        columns = [c for c in operation.columns if isinstance(c, sa.Column)]
    elif isinstance(operation, ops.AddColumnOp):
        columns = [operation.column]
    elif isinstance(operation, ops.AlterColumnOp) and isinstance(operation.modify_type, sa.Enum):
        columns = [sa.Column(operation.column_name, operation.modify_type)]
    return [sa.Column(c.name, c.type) for c in columns if isinstance(c.type, sa.Enum)]


def _add_columns(metadata: sa.MetaData, table: str, columns: Iterable[sa.Column[Any]]) -> None:
    existing = metadata.tables.get(table)
    if existing is None:
        sa.Table(table, metadata, *columns)
        return
    for column in columns:
        if column.name not in existing.columns:
            existing.append_column(column)


def _operations_metadata(operations: tuple[Any, ...]) -> sa.MetaData:
    """A MetaData of the Enum columns a revision's operations make, by table."""
    metadata = sa.MetaData()
    for table, operation in flatten_ops(operations):
        enums = _enum_columns(operation)
        if table and enums:
            _add_columns(metadata, table, enums)
    return metadata


def _module_metadata(module: ModuleType) -> list[sa.MetaData]:
    """The MetaData a revision module defines or imports (its own models, or tables it declares)."""
    found: dict[int, sa.MetaData] = {}
    for value in list(vars(module).values()):
        try:
            candidate = value if isinstance(value, sa.MetaData) else getattr(value, "metadata", None)
        except Exception:  # a proxy (alembic.context) refuses attribute access outside a run
            continue
        if isinstance(candidate, sa.MetaData):
            found[id(candidate)] = candidate
    return list(found.values())
