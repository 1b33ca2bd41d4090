"""MySQL/MariaDB's own indexes: the one InnoDB puts on a foreign key's columns, which Alembic leaves out."""

from __future__ import annotations

from .bulk_types import BulkCatalog


def implicit_index_names(table: str, catalog: BulkCatalog) -> set[str]:
    """Alembic's MySQL rule (correct_for_autogen_constraints): a non-unique index named like one of its columns,
    or like a foreign key on one of its columns, is the server's; it is dropped from both sides of the compare."""
    foreign_keys = catalog.foreign_keys.get(table, [])
    names = set()
    for index in catalog.indexes.get(table, []):
        if index.get("unique") or not index.get("name"):
            continue
        columns = set(index.get("column_names") or [])
        keyed = {fk.get("name") for fk in foreign_keys if columns & set(fk.get("constrained_columns") or [])}
        if index["name"] in columns or index["name"] in keyed:
            names.add(index["name"])
    return names
