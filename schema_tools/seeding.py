"""Rows a schema accepts: values valid for each column's type, enum labels, CHECK constraints, keys and uniques.

The roundtrip lab and the data-loss guard seed scratch databases so that downgrades and deletes have rows to
lose. A value the database refuses would make a sound revision look broken, so every value is chosen from
what the reflected schema allows (seed_rules, seed_values), and a table whose insert is still refused is
retried with other values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection

from .check_text import normalize_check
from .seed_rules import ColumnRule, check_constraints, column_rules
from .seed_values import candidates
from .sources import reflect

__all__ = [
    "ATTEMPTS",
    "ROWS_PER_TABLE",
    "ColumnRule",
    "EnumLabels",
    "SeedReport",
    "candidates",
    "check_constraints",
    "column_rules",
    "describe_error",
    "enum_labels",
    "normalize_check",
    "seed",
    "seed_tables",
]

ROWS_PER_TABLE = 2
# Insert attempts per row: the preferred values, then alternatives, then with nullable columns left NULL.
ATTEMPTS = 6
# (table, column) -> enum labels, for string columns the database itself does not constrain (SQLite's
# VARCHAR for an Enum without create_constraint): the labels the app's code will read the values as.
EnumLabels = Mapping[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class SeedReport:
    """What seeding did: rows inserted per table, and the tables it gave up on with the reason."""

    inserted: tuple[tuple[str, int], ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def rows(self) -> int:
        return sum(count for _, count in self.inserted)


def seed(connection: Connection, rows_per_table: int = ROWS_PER_TABLE, *, labels: EnumLabels | None = None) -> int:
    """Up to `rows_per_table` rows in every empty table, parents first; returns how many rows went in."""
    return seed_tables(connection, rows_per_table, labels=labels).rows


def seed_tables(
    connection: Connection, rows_per_table: int = ROWS_PER_TABLE, *, labels: EnumLabels | None = None
) -> SeedReport:
    """Seed every empty table (see seed) and say which tables could not be seeded and why.

    Each insert runs in a SAVEPOINT, so a refused row never aborts the caller's transaction. `labels`
    names enum labels for string columns the database does not constrain (see enum_labels).
    """
    metadata = reflect(connection)
    checks = check_constraints(connection)
    inserted: list[tuple[str, int]] = []
    skipped: list[tuple[str, str]] = []
    for table in _parents_first(metadata):
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
            continue
        rules = column_rules(table, checks.get(table.name, ()))
        count, reason = _seed_table(connection, table, rules, rows_per_table, labels or {})
        if count:
            inserted.append((table.name, count))
        if reason:
            skipped.append((table.name, reason))
    return SeedReport(tuple(inserted), tuple(skipped))


def enum_labels(metadatas: Iterable[sa.MetaData]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(table, column) -> labels of every Enum column in `metadatas`; where they disagree (a label added
    by a later revision), the labels they share, which are valid at every revision."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for metadata in metadatas:
        for table in metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, satypes.Enum) and column.type.enums:
                    _add_labels(found, (table.name, column.name), tuple(column.type.enums))
    return found


def _add_labels(found: dict[tuple[str, str], tuple[str, ...]], key: tuple[str, str], labels: tuple[str, ...]) -> None:
    known = found.get(key)
    shared = tuple(label for label in known if label in labels) if known else ()
    found[key] = shared or labels


def _parents_first(metadata: sa.MetaData) -> list[sa.Table]:
    """Referenced tables before the tables referring to them; a foreign-key cycle is broken at one of its keys,
    which is seeded NULL when nullable (its parent has no rows yet)."""
    pairs = sa.schema.sort_tables_and_constraints(metadata.tables.values())  # type: ignore[no-untyped-call]
    return [table for table, _ in pairs if table is not None]


def _seed_table(
    connection: Connection, table: sa.Table, rules: dict[str, ColumnRule], rows: int, labels: EnumLabels
) -> tuple[int, str | None]:
    """Insert up to `rows` rows; (count, why the table was given up on). Fewer rows are fine past the first."""
    automatic = table.autoincrement_column
    # Computed and identity columns are the database's to fill; foreign keys take their parents' keys.
    fixed = {
        column.name
        for column in table.columns
        if column.computed is None and column.identity is None and not column.foreign_keys
    }
    inserted = 0
    last_error = ""
    for n in range(rows):
        parents, reason = _parent_values(connection, table, rows, n)
        if reason:
            return inserted, None if inserted else reason
        for attempt in range(ATTEMPTS + 1):
            row = _row(table, fixed, rules, labels, parents, n, attempt, automatic)
            error = _insert(connection, table, row)
            if error is None:
                inserted += 1
                break
            last_error = error
        else:
            return inserted, None if inserted else f"every insert was refused: {last_error}"
    return inserted, None


def _row(
    table: sa.Table,
    columns: set[str],
    rules: dict[str, ColumnRule],
    labels: EnumLabels,
    parents: list[Callable[[int], dict[str, Any]]],
    n: int,
    attempt: int,
    automatic: sa.Column[Any] | None,
) -> dict[str, Any]:
    """The values of row `n` for one attempt: 0 is the preferred values, then alternatives; the last attempt
    leaves nullable columns out. Autoincrement keys are left to the database except in every third attempt."""
    last = attempt == ATTEMPTS
    row: dict[str, Any] = {}
    for position, column in enumerate(table.columns):
        if column.name not in columns:
            continue
        if column is automatic and attempt % 3 != 2:
            continue
        if last and column.nullable and not column.primary_key:
            continue
        hint = labels.get((table.name, column.name))
        options = candidates(column, rules.get(column.name), table.name, n, position, hint)
        if not options:
            continue
        row[column.name] = options[(attempt if not last else 0) % len(options)]
    for values in parents:
        row.update(values(attempt))
    return row


def _parent_values(
    connection: Connection, table: sa.Table, rows: int, n: int
) -> tuple[list[Callable[[int], dict[str, Any]]], str | None]:
    """Per foreign key, a function of the attempt giving its columns' values for row `n`: an existing parent
    row's key, or NULL when the parent has no rows yet (a self-reference, a cycle) and the columns allow it."""
    found: list[Callable[[int], dict[str, Any]]] = []
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: [col.name for col in c.columns]):
        local = [element.parent.name for element in constraint.elements]
        referred = [element.column for element in constraint.elements]
        keys = connection.execute(
            sa.select(*referred)
            .where(*(column.isnot(None) for column in referred))
            .distinct()
            .order_by(*referred)
            .limit(rows + ATTEMPTS)
        ).all()
        if keys:
            found.append(partial(_key, local, list(keys), n))
        elif all(table.columns[name].nullable for name in local):
            found.append(partial(_nulls, local))
        else:
            parent = constraint.referred_table.name
            return [], f"no row in {parent} for its NOT NULL foreign key ({', '.join(local)})"
    return found, None


def _key(names: list[str], keys: list[Any], n: int, attempt: int) -> dict[str, Any]:
    """The foreign key columns of row `n` at one attempt: each attempt takes the next parent key."""
    index = n + attempt
    return dict(zip(names, keys[index % len(keys)], strict=True))


def _nulls(names: list[str], attempt: int) -> dict[str, Any]:
    """The foreign key columns left NULL, whatever the attempt: their parent has no rows yet."""
    return dict.fromkeys(names)


def _insert(connection: Connection, table: sa.Table, row: dict[str, Any]) -> str | None:
    """Insert one row inside a SAVEPOINT; the database's complaint when it refuses, else None."""
    try:
        with connection.begin_nested():
            connection.execute(table.insert().values(row))
    except (sa.exc.SQLAlchemyError, ValueError, TypeError, LookupError) as error:
        return describe_error(error)
    return None


def describe_error(error: BaseException) -> str:
    """The first line of the driver's message (or the error's), prefixed with its class name."""
    cause = getattr(error, "orig", None) or error
    text = " ".join(str(cause).split("\n")[0].split())
    name = type(cause).__name__
    return f"{name}: {text}" if text else name
