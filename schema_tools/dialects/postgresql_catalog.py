"""PostgreSQL's catalog: which server and database a connection reaches, per-table fingerprints, DDL lines."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor

from ..fingerprint_types import Catalog

_IDENTITY = (
    "SELECT current_database(), current_setting('port'), pg_postmaster_start_time()::text, "
    "(SELECT oid FROM pg_database WHERE datname = current_database())::text"
)

# PostgreSQL writes a new row version (a new xmin) for every catalog row a DDL statement changes, and
# deletes the rows of what it drops: (oid, xmin) pairs are an exact, cheap change marker. Deparsing the
# definitions (pg_get_indexdef, format_type) would cost 2-4x as much. Names the table refers to through
# other objects (FK targets, enum labels) are read through, so changing those invalidates it too.
_PER_TABLE_QUERY = """
SELECT c.relname, md5(concat_ws('|', c.xmin,
  (SELECT string_agg(a.attnum || ':' || a.xmin, ',' ORDER BY a.attnum) FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0),
  (SELECT string_agg(d.oid || ':' || d.xmin, ',' ORDER BY d.oid) FROM pg_attrdef d WHERE d.adrelid = c.oid),
  (SELECT string_agg(ds.objsubid || ':' || ds.xmin, ',' ORDER BY ds.objsubid)
     FROM pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass),
  (SELECT string_agg(i.indexrelid || ':' || i.xmin || ':' || ic.xmin, ',' ORDER BY i.indexrelid)
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid),
  (SELECT string_agg(con.oid || ':' || con.xmin || CASE WHEN con.contype = 'f'
      THEN ':' || con.confrelid::regclass::text || ':' || (SELECT string_agg(r.attname, ',' ORDER BY r.attnum)
        FROM pg_attribute r WHERE r.attrelid = con.confrelid AND r.attnum = ANY (con.confkey))
      ELSE '' END, ',' ORDER BY con.oid)
     FROM pg_constraint con WHERE con.conrelid = c.oid),
  (SELECT string_agg(t.oid || ':' || t.xmin || ':' || coalesce((SELECT string_agg(e.enumlabel || ':' || e.xmin, ','
      ORDER BY e.oid) FROM pg_enum e WHERE e.enumtypid = t.oid), ''), ',' ORDER BY t.oid)
     FROM pg_type t
    WHERE t.oid IN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = c.oid AND a.atttypid >= 16384))
))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""

_CATALOGS = (
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_description",
    "pg_index",
    "pg_constraint",
    "pg_type",
    "pg_enum",
)
# Whether anything at all moved in the catalogs the fingerprints read: a count and a sum of per-row
# version hashes (any DDL adds or replaces row versions) costs an eighth of the per-table query (0.13 s against
# 1.0 s at 10,000 tables), which then runs only when this token differs from the last one. It is a statement of
# its own: folded into one statement behind a guard, the token alone took 0.57 s there.
_TOKEN = "SELECT concat_ws('|', current_schema(), {}) AS token".format(
    ", ".join(f"(SELECT count(*) || ':' || sum(hashtext(ctid::text || ':' || xmin::text)) FROM {c})" for c in _CATALOGS)
)

_LINES = (
    "SELECT c.relname, 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) "
    "|| CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END "
    "|| COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
    "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "SELECT c.relname, 'constraint ' || con.conname || ' ' || pg_get_constraintdef(con.oid) "
    "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema()",
)


def identity_row(cursor: DBAPICursor) -> tuple[str, tuple[str, ...]]:
    """The database's name, pinned to one server by its port, start time and the database's oid."""
    cursor.execute(_IDENTITY)
    row = cursor.fetchone()
    assert row is not None  # the query always returns one row
    return ("" if row[0] is None else str(row[0])), tuple("" if value is None else str(value) for value in row[1:])


def fingerprints(connection: Connection, previous_token: str | None, skip: Collection[str]) -> Catalog:
    """The catalog's token, and the per-table digests only when the token moved since `previous_token`.

    The token is read first: a change committed between the two statements leaves a token older than the
    digests, so the next call sees it moved and reads them again.
    """
    token = str(connection.exec_driver_sql(_TOKEN).scalar_one())
    if token == previous_token:
        return Catalog(None, token)
    rows = connection.exec_driver_sql(_PER_TABLE_QUERY).all()
    return Catalog({name: digest for name, digest in rows if name not in skip}, token)


def catalog_lines(connection: Connection) -> list[tuple[str, str]]:
    """(table, line) for each column, index and constraint in the current schema."""
    return [(str(table), str(line)) for query in _LINES for table, line in connection.exec_driver_sql(query).all()]
