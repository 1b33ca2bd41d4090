"""schema_tools: diff, draft, lint, draw and migrate a SQLAlchemy + Alembic database.

The top level holds the verbs, their results and the errors, as `alembic.command` does; helpers stay in their
modules (`schema_tools.scratch.notebook_database`, `schema_tools.sources.copy_metadata`, ...).
"""

from .backup import Backup, backup, restore
from .changes import Change
from .checksums import VerifyReport, verify
from .cold_diff import fast_autogenerate
from .diff import SchemaDiff, diff
from .draft import Draft, draft
from .drawing.orm import ORMDiagram, orm_diagram
from .erd import ERDiagram, erd
from .errors import (
    BackupError,
    ConfigurationError,
    ConnectionFailed,
    DatabaseNotFound,
    DataLossRefused,
    EnvironmentMismatch,
    GraphvizMissing,
    LockTimeout,
    MigrationFailed,
    MultipleHeads,
    NotUpToDate,
    RevisionError,
    SchemaToolsError,
    UnknownDriver,
    UnsupportedBackend,
)
from .explore import explore
from .fleet import FleetReport, fleet
from .history import History, branch, heads, history, merge
from .inventory import Inventory, inventory
from .lint import Finding
from .lint_revisions import RevisionLint, lint
from .migrate import MigrationReport, downgrade, upgrade
from .roundtrip import RoundtripReport, roundtrip
from .session import DiffRun, DiffSession
from .snapshot import Snapshot, snapshot
from .status import Status, status

__all__ = [
    # verbs
    "backup",
    "branch",
    "diff",
    "downgrade",
    "draft",
    "erd",
    "explore",
    "fast_autogenerate",
    "fleet",
    "heads",
    "history",
    "inventory",
    "lint",
    "merge",
    "orm_diagram",
    "restore",
    "roundtrip",
    "snapshot",
    "status",
    "upgrade",
    "verify",
    # results
    "Backup",
    "Change",
    "DiffRun",
    "DiffSession",
    "Draft",
    "ERDiagram",
    "Finding",
    "FleetReport",
    "History",
    "Inventory",
    "MigrationReport",
    "ORMDiagram",
    "RevisionLint",
    "RoundtripReport",
    "SchemaDiff",
    "Snapshot",
    "Status",
    "VerifyReport",
    # errors
    "BackupError",
    "ConfigurationError",
    "ConnectionFailed",
    "DataLossRefused",
    "DatabaseNotFound",
    "EnvironmentMismatch",
    "GraphvizMissing",
    "LockTimeout",
    "MigrationFailed",
    "MultipleHeads",
    "NotUpToDate",
    "RevisionError",
    "SchemaToolsError",
    "UnknownDriver",
    "UnsupportedBackend",
]
