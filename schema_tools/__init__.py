"""schema_tools: diff, draft, lint, draw and migrate a SQLAlchemy + Alembic database."""

from .connect import mask_url, read_only_connection, sync_url
from .errors import (
    BackupError,
    ConfigurationError,
    ConnectionFailed,
    DatabaseNotFound,
    DataLossRefused,
    GraphvizMissing,
    MigrationFailed,
    MultipleHeads,
    NotUpToDate,
    RevisionError,
    SchemaToolsError,
    UnknownDriver,
)
from .settings import alembic_config, compare_options, load_metadata

__all__ = [
    "BackupError",
    "ConfigurationError",
    "ConnectionFailed",
    "DataLossRefused",
    "DatabaseNotFound",
    "GraphvizMissing",
    "MigrationFailed",
    "MultipleHeads",
    "NotUpToDate",
    "RevisionError",
    "SchemaToolsError",
    "UnknownDriver",
    "alembic_config",
    "compare_options",
    "load_metadata",
    "mask_url",
    "read_only_connection",
    "sync_url",
]
