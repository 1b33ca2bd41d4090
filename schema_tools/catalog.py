"""A schema as plain lines per table, read from the catalog in a few statements: what changed between two moments."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from .settings import INTERNAL_TABLES

State = dict[str, tuple[str, ...]]

_MYSQL = (
    "SELECT TABLE_NAME, CONCAT('column ', COLUMN_NAME, ' ', COLUMN_TYPE, IF(IS_NULLABLE = 'NO', ' NOT NULL', ''), "
    "IFNULL(CONCAT(' DEFAULT ', COLUMN_DEFAULT), '')) FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE()",
    "SELECT TABLE_NAME, CONCAT(IF(NON_UNIQUE = 0, 'unique index ', 'index '), INDEX_NAME, ' (', "
    "GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', '), ')') FROM information_schema.STATISTICS "
    "WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE",
    "SELECT TABLE_NAME, CONCAT(LOWER(CONSTRAINT_TYPE), ' ', CONSTRAINT_NAME) FROM information_schema.TABLE_CONSTRAINTS "
    "WHERE TABLE_SCHEMA = DATABASE()",
)
_POSTGRESQL = (
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


def catalog_state(connection: Connection) -> State:
    """Every table's columns, indexes and constraints as sorted lines (the DDL text itself on SQLite)."""
    backend = connection.dialect.name
    lines: dict[str, list[str]] = defaultdict(list)
    if backend == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT tbl_name, type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%'"
        ).all()
    else:
        queries = _POSTGRESQL if backend == "postgresql" else _MYSQL
        rows = [row for query in queries for row in connection.exec_driver_sql(query).all()]
    for table, line in rows:
        if table not in INTERNAL_TABLES:
            lines[str(table)].append(" ".join(str(line).split()))
    return {table: tuple(sorted(entries)) for table, entries in sorted(lines.items())}


def state_changes(before: State, after: State) -> tuple[str, ...]:
    """What differs between two states, one line per table object: '+ bots: column region VARCHAR(20)'."""
    changes = []
    for table in sorted(set(before) | set(after)):
        if table not in before:
            changes.append(f"+ table {table}")
            continue
        if table not in after:
            changes.append(f"- table {table}")
            continue
        old, new = set(before[table]), set(after[table])
        changes += [f"- {table}: {line}" for line in sorted(old - new)]
        changes += [f"+ {table}: {line}" for line in sorted(new - old)]
    return tuple(changes)
