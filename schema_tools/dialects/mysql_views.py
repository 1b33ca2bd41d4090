"""MySQL/MariaDB views: SHOW CREATE VIEW's SELECT, its backquoted, database-qualified names, CREATE OR REPLACE."""

from __future__ import annotations

import re
from typing import ClassVar

from sqlalchemy.engine import Connection

from .base_views import ViewCatalog

# SHOW CREATE VIEW: CREATE ALGORITHM=... DEFINER=... SQL SECURITY ... VIEW `name` AS select ...
_PREFIX = re.compile(r"^.*?\bVIEW\s+(?:`(?:[^`]|``)*`|\S+)\s+AS\s+", re.IGNORECASE | re.DOTALL)


class MySQLViews(ViewCatalog):
    """No materialized views; CREATE OR REPLACE VIEW takes any definition. What a view reads is parsed from its
    definition (MariaDB has no information_schema.VIEW_TABLE_USAGE, and MySQL's names no columns); the server
    writes every name qualified there, so the reading is exact."""

    replaces_in_place: ClassVar[bool] = True
    breaks_reader: ClassVar[str] = "succeeds and leaves the view broken (error 1356 on every read)"

    def schemas(self, connection: Connection) -> tuple[str, ...]:
        database = connection.exec_driver_sql("SELECT DATABASE()").scalar()
        return (str(database).lower(),) if database else ()

    def select_part(self, definition: str) -> str:
        return _PREFIX.sub("", definition.strip(), count=1)
