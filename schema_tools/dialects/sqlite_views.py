"""SQLite's views: the CREATE VIEW text sqlite_master keeps as written; no CREATE OR REPLACE, no materialized views."""

from __future__ import annotations

import re
from typing import ClassVar

from .base_views import ViewCatalog

_PREFIX = re.compile(
    r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?:\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s*(?:\([^)]*\)\s*)?AS\s+",
    re.IGNORECASE,
)


class SQLiteViews(ViewCatalog):
    """A changed view is dropped and created again; what a view reads is parsed from its text."""

    breaks_reader: ClassVar[str] = "fails (error in view ...)"
    # The batch rebuild's final ALTER TABLE ... RENAME re-checks every view, and the table is gone by then.
    rebuild_meets_views: ClassVar[bool] = True

    def select_part(self, definition: str) -> str:
        return _PREFIX.sub("", definition.strip(), count=1).strip().rstrip(";").strip()
