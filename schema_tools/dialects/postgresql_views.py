"""PostgreSQL's views: plain and materialized, deparsed by pg_get_viewdef, their columns read from pg_depend."""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base_views import LiveView, Usage, ViewCatalog

# Each view's rewrite rule depends on the columns it reads (refobjsubid > 0) or on a whole table (0).
_USAGE = """
SELECT DISTINCT v.relname, t.relname, a.attname
FROM pg_rewrite r
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace n ON n.oid = v.relnamespace
JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid AND n.nspname = current_schema()
"""


class PostgreSQLViews(ViewCatalog):
    """CREATE [MATERIALIZED] VIEW; a changed plain view is dropped and created again (CREATE OR REPLACE VIEW
    cannot drop or retype a column)."""

    materialized: ClassVar[bool] = True
    breaks_reader: ClassVar[str] = "fails: the view depends on it"

    def views(self, connection: Connection) -> dict[str, LiveView]:
        """Plain and materialized views of the current schema, as pg_get_viewdef deparses them."""
        inspector = sa.inspect(connection)
        found = super().views(connection)
        for name in inspector.get_materialized_view_names():
            found[name] = LiveView(name, self.select_part(inspector.get_view_definition(name) or ""), True)
        return found

    def select_part(self, definition: str) -> str:
        return definition.strip().rstrip(";").strip()

    def usage(self, connection: Connection) -> dict[str, Usage]:
        """The catalog's own record of what each view reads (the dependencies that make a DROP COLUMN fail)."""
        used: dict[str, set[tuple[str, str | None]]] = {}
        for view, table, column in connection.exec_driver_sql(_USAGE):
            used.setdefault(str(view), set()).update({(str(table), None), (str(table), column)})
        return {view: frozenset(pairs) for view, pairs in used.items()}
