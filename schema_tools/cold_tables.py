"""Is a reflected table exactly what the model says? Strict signatures for keys, indexes and constraints.

Sound by construction: every rule here is stricter than Alembic's comparison of the same objects, so "same"
means compare_metadata would report nothing; anything unusual (expressions, dialect options, CHECKs, computed
columns) answers "compare it", never "same".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from .cold_columns import ColumnJudge
from .dialects import Backend
from .dialects.bulk_types import BulkCatalog

__all__ = ["table_unchanged"]

_FK_OPTIONS = ("onupdate", "ondelete", "deferrable", "initially", "match")


def table_unchanged(table: sa.Table, catalog: BulkCatalog, judge: ColumnJudge, backend: Backend) -> bool:
    """True only when compare_metadata is certain to report nothing for `table`."""
    name = table.name
    columns = catalog.columns.get(name)
    if columns is None or name in catalog.unreadable or table.schema is not None:
        return False
    return (
        _same_columns(table, columns, catalog.primary_keys.get(name) or {}, judge, backend)
        and _same_primary_key(table, catalog.primary_keys.get(name) or {})
        and _same_foreign_keys(table, catalog.foreign_keys.get(name, []))
        and _same_indexes(table, catalog, backend)
        and not _checks(table)
        and not catalog.check_constraints.get(name)
        and (not judge.dialect.supports_comments or table.comment == (catalog.comments.get(name) or {}).get("text"))
    )


def _same_columns(
    table: sa.Table, columns: list[dict[str, Any]], key: dict[str, Any], judge: ColumnJudge, backend: Backend
) -> bool:
    models = {column.name: column for column in table.columns if not column.system}
    if len(models) != len(columns):
        return False
    in_key = set(key.get("constrained_columns") or ())
    for reflected in columns:
        model = models.get(reflected["name"])
        # Computed and identity columns are the table comparator compare_generated's: it is not modelled here.
        if model is None or model.computed is not None or model.identity is not None:
            return False
        if "computed" in reflected or "identity" in reflected:
            return False
        if not judge.same(table.name, reflected, model, reflected["name"] in in_key):
            return False
        if backend.identity_reflection == "auto_increment" and _auto_increment(model) != (
            reflected.get("autoincrement") is True
        ):
            return False  # MySQL's AUTO_INCREMENT, which compare_generated compares
    return True


def _auto_increment(column: sa.Column[Any]) -> bool:
    """Whether the models want AUTO_INCREMENT on the column, as compare_generated decides it."""
    return column.identity is not None or column is column.table._autoincrement_column


def _same_primary_key(table: sa.Table, key: dict[str, Any]) -> bool:
    wanted = [column.name for column in table.primary_key.columns]
    named = table.primary_key.name if isinstance(table.primary_key.name, str) else None
    return wanted == list(key.get("constrained_columns") or []) and (named is None or named == key.get("name"))


def _fk_signature(
    columns: list[str], schema: str | None, table: str, referred: list[str], options: dict[str, Any]
) -> tuple[Any, ...]:
    return (tuple(columns), schema, table, tuple(referred), tuple(options.get(key) for key in _FK_OPTIONS))


def _same_foreign_keys(table: sa.Table, reflected: list[dict[str, Any]]) -> bool:
    wanted: Counter[tuple[Any, ...]] = Counter()
    # What Alembic compares: the table's constraints (not table.foreign_keys, which can hold one the models dropped).
    for constraint in (c for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)):
        if constraint.dialect_kwargs or any(element.column.table.schema for element in constraint.elements):
            return False
        options = {key: getattr(constraint, key) for key in _FK_OPTIONS}
        referred = [element.column.name for element in constraint.elements]
        columns = [element.parent.name for element in constraint.elements]
        wanted[_fk_signature(columns, None, constraint.referred_table.name, referred, options)] += 1
    found: Counter[tuple[Any, ...]] = Counter()
    for foreign_key in reflected:
        options = foreign_key.get("options") or {}
        found[
            _fk_signature(
                foreign_key["constrained_columns"], foreign_key.get("referred_schema"), foreign_key["referred_table"],
                foreign_key["referred_columns"], options,
            )
        ] += 1  # fmt: skip
    return wanted == found


def _plain_options(options: dict[str, Any] | None) -> bool:
    """Reflected dialect options that change nothing (PostgreSQL's empty INCLUDE, NULLS DISTINCT)."""
    return all(not value for value in (options or {}).values())


def _same_indexes(table: sa.Table, catalog: BulkCatalog, backend: Backend) -> bool:
    # Indexes the backend makes by itself (MySQL's for a foreign key): Alembic leaves them out on both sides.
    implicit = backend.implicit_index_names(table.name, catalog)
    wanted = set()
    for index in table.indexes:
        plain = all(isinstance(expression, sa.Column) for expression in index.expressions)
        if not plain or index.dialect_kwargs or not isinstance(index.name, str):
            return False
        if index.name not in implicit:
            wanted.add((index.name, tuple(column.name for column in index.columns), bool(index.unique)))
    # A unique constraint the backend keeps as an index shows twice (PostgreSQL marks the index, MySQL the constraint).
    doubled = {unique.get("duplicates_index") for unique in catalog.unique_constraints.get(table.name, [])}
    found = set()
    for reflected in catalog.indexes.get(table.name, []):
        if reflected.get("duplicates_constraint") or reflected.get("name") in implicit | doubled:
            continue
        if reflected.get("expressions") or not _plain_options(reflected.get("dialect_options")):
            return False
        found.add((reflected.get("name"), tuple(reflected["column_names"]), bool(reflected["unique"])))
    return wanted == found and _same_uniques(table, catalog.unique_constraints.get(table.name, []))


def _same_uniques(table: sa.Table, reflected: list[dict[str, Any]]) -> bool:
    found: Counter[tuple[str | None, tuple[str, ...]]] = Counter()
    for unique in reflected:
        if not _plain_options(unique.get("dialect_options")):
            return False
        found[(unique.get("name"), tuple(unique["column_names"]))] += 1
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        if constraint.dialect_kwargs:
            return False
        columns = tuple(column.name for column in constraint.columns)
        name = constraint.name if isinstance(constraint.name, str) else None
        matches = [key for key in found if key[1] == columns and (name is None or key[0] == name)]
        if not matches:
            return False
        found[matches[0]] -= 1
        if not found[matches[0]]:
            del found[matches[0]]
    return not found


def _checks(table: sa.Table) -> bool:
    return any(isinstance(constraint, sa.CheckConstraint) for constraint in table.constraints)
