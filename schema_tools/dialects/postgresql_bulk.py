"""PostgreSQL's catalog for the fast cold diff: SQLAlchemy's batched columns, our lean keys, one query per kind."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BIGINT, INTEGER
from sqlalchemy.engine import Connection

from .bulk_types import BulkCatalog
from .postgresql_keys import read_keys

# Alembic's PostgreSQL impl asks this per SERIAL column (autogen_column_reflect); here, once for the schema.
_OWNED_SEQUENCES = (
    "SELECT c.oid::regclass::text, a.attname FROM pg_class c "
    "JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass "
    "AND d.refclassid = 'pg_class'::regclass "
    "JOIN pg_class t ON t.oid = d.refobjid "
    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
    "WHERE c.relkind = 'S'"
)
_NEXTVAL = re.compile(r"nextval\('(.+?)'::regclass\)")


def _by_name(found: dict[tuple[str | None, str], Any], skip: Collection[str]) -> dict[str, Any]:
    return {name: value for (_schema, name), value in found.items() if name not in skip}


def _kept(found: dict[str, Any], skip: Collection[str]) -> dict[str, Any]:
    return {name: value for name, value in found.items() if name not in skip}


def reflect_all(connection: Connection, skip: Collection[str]) -> BulkCatalog:
    """The default schema's tables as the Inspector reflects them: columns through SQLAlchemy's batched reader,
    keys and indexes through read_keys, which leaves anything it does not model to compare_metadata."""
    inspector = sa.inspect(connection)
    owned = {str(sequence): str(column) for sequence, column in connection.exec_driver_sql(_OWNED_SEQUENCES)}
    keys = read_keys(connection)
    return BulkCatalog(
        columns=_by_name(inspector.get_multi_columns(), skip),
        primary_keys=_kept(keys.primary_keys, skip),
        foreign_keys=_kept(keys.foreign_keys, skip),
        indexes=_kept(keys.indexes, skip),
        unique_constraints=_kept(keys.unique_constraints, skip),
        check_constraints=_by_name(inspector.get_multi_check_constraints(), skip),
        comments=_by_name(inspector.get_multi_table_comment(), skip),
        unreadable=frozenset(keys.unreadable) - frozenset(skip),
        owned_sequences=owned,
    )


def without_owned_sequence(catalog: BulkCatalog, info: dict[str, Any]) -> None:
    """Alembic's rule: an integer column whose nextval() sequence it owns is a SERIAL, and has no default."""
    default = info.get("default")
    if not default or not isinstance(info["type"], INTEGER | BIGINT):
        return
    found = _NEXTVAL.match(default)
    if found and catalog.owned_sequences.get(found.group(1)) == info["name"]:
        del info["default"]
