"""schema_tools: diff, draft, lint, draw and migrate a SQLAlchemy + Alembic database."""

from .backup import Backup, backup, restore
from .changes import Change
from .checksums import VerifyReport, verify
from .connect import mask_url, read_only_connection, sync_url
from .diff import SchemaDiff, diff
from .draft import Draft, draft
from .erd import ERDiagram, erd
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
from .history import History, branch, heads, history, merge
from .inventory import Inventory, inventory
from .lint import Finding
from .migrate import MigrationReport, downgrade, upgrade
from .roundtrip import RoundtripReport, roundtrip
from .scratch import notebook_database, scratch_copy, scratch_project, upgraded_database
from .session import DiffRun, DiffSession
from .settings import alembic_config, compare_options, load_metadata
from .sources import copy_metadata, reflect_source, rename_column, schema_at_revision
from .status import Status, status

__all__ = [
    "Backup",
    "BackupError",
    "Change",
    "ConfigurationError",
    "ConnectionFailed",
    "DataLossRefused",
    "DatabaseNotFound",
    "Draft",
    "ERDiagram",
    "Finding",
    "GraphvizMissing",
    "History",
    "Inventory",
    "MigrationFailed",
    "MigrationReport",
    "MultipleHeads",
    "NotUpToDate",
    "RevisionError",
    "RoundtripReport",
    "SchemaDiff",
    "DiffRun",
    "DiffSession",
    "SchemaToolsError",
    "Status",
    "UnknownDriver",
    "VerifyReport",
    "alembic_config",
    "backup",
    "branch",
    "compare_options",
    "copy_metadata",
    "diff",
    "downgrade",
    "draft",
    "erd",
    "heads",
    "history",
    "inventory",
    "load_metadata",
    "mask_url",
    "merge",
    "notebook_database",
    "read_only_connection",
    "reflect_source",
    "rename_column",
    "restore",
    "roundtrip",
    "schema_at_revision",
    "scratch_copy",
    "scratch_project",
    "status",
    "sync_url",
    "upgrade",
    "upgraded_database",
    "verify",
]
