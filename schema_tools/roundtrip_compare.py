"""What a downgrade left different, in words naming table, column and attribute, from two snapshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .roundtrip_snapshot import DataSnapshot, listing

__all__ = ["row_differences", "schema_differences"]

_ATTRIBUTES = ("type", "nullable", "default", "computed")


def _yes_no(value: Any) -> str:
    return "YES" if value else "NO"


def _shown(attribute: str, value: Any) -> str:
    if attribute == "nullable":
        return _yes_no(value)
    return "none" if value is None else str(value)


def _keyed(
    kind: str,
    table: str,
    before: dict[Any, Any],
    after: dict[Any, Any],
    show: Callable[[Any], str],
    differences: Callable[[Any, Any], list[str]] | None = None,
) -> list[str]:
    """Objects of one kind left behind, missing, or changed (each difference named when `differences` is given)."""
    parts = []
    for key in sorted(set(before) | set(after), key=repr):
        label = f"{kind} {show(key)} on {table}"
        if key not in before:
            parts.append(f"{label} left behind")
        elif key not in after:
            parts.append(f"{label} missing")
        elif before[key] != after[key]:
            found = (
                differences(before[key], after[key]) if differences else [f"before {before[key]}, after {after[key]}"]
            )
            parts.extend(f"{label}: {difference}" for difference in found)
    return parts


def _index_differences(old: tuple[Any, bool], new: tuple[Any, bool]) -> list[str]:
    (old_columns, old_unique), (new_columns, new_unique) = old, new
    found = []
    if old_columns != new_columns:
        found.append(f"columns before {listing(old_columns)}, after {listing(new_columns)}")
    if old_unique != new_unique:
        found.append(f"unique before {_yes_no(old_unique)}, after {_yes_no(new_unique)}")
    return found


def _foreign_key(key: tuple[Any, ...]) -> str:
    return f"{listing(key[0])} -> {key[1]}{listing(key[2])}"


def _column_changes(table: str, old_columns: dict[str, Any], new_columns: dict[str, Any]) -> list[str]:
    parts = [f"{table}.{column} left behind" for column in new_columns if column not in old_columns]
    parts += [f"{table}.{column} missing" for column in old_columns if column not in new_columns]
    for column, old in old_columns.items():
        new = new_columns.get(column)
        if new is None:
            continue
        for attribute in sorted(set(old) | set(new), key=_ATTRIBUTES.index):
            if old.get(attribute) != new.get(attribute):
                parts.append(
                    f"{table}.{column}: {attribute} before {_shown(attribute, old.get(attribute))}, "
                    f"after {_shown(attribute, new.get(attribute))}"
                )
    return parts


def _table_changes(table: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    parts = _column_changes(table, before["columns"], after["columns"])
    if before["primary key"] != after["primary key"]:
        parts.append(
            f"{table}: primary key before {listing(before['primary key'])}, after {listing(after['primary key'])}"
        )
    parts += _keyed("foreign key", table, before["foreign keys"], after["foreign keys"], _foreign_key)
    parts += _keyed("index", table, before["indexes"], after["indexes"], str, _index_differences)
    parts += _keyed("unique constraint", table, before["unique constraints"], after["unique constraints"], str)
    parts += _keyed("check constraint", table, before["check constraints"], after["check constraints"], str)
    return parts


def _presence(kind: str, name: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """ "<kind> <name> left behind" or "... missing" when only one side has it; None when both do."""
    if name not in before:
        return f"{kind} {name} left behind"
    if name not in after:
        return f"{kind} {name} missing"
    return None


def schema_differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two schema snapshots, naming table, column and attribute ("t.c: nullable before
    YES, after NO", "index ix on t left behind", "enum e: labels before (A, B), after (A)")."""
    parts: list[str] = []
    old_tables, new_tables = before["tables"], after["tables"]
    for table in sorted(set(old_tables) | set(new_tables)):
        presence = _presence("table", table, old_tables, new_tables)
        parts += [presence] if presence else _table_changes(table, old_tables[table], new_tables[table])
    old_enums, new_enums = before["enums"], after["enums"]
    for enum in sorted(set(old_enums) | set(new_enums)):
        presence = _presence("enum", enum, old_enums, new_enums)
        if presence:
            parts.append(presence)
        elif old_enums[enum] != new_enums[enum]:
            parts.append(f"enum {enum}: labels before {listing(old_enums[enum])}, after {listing(new_enums[enum])}")
    parts += [f"view {view} left behind" for view in after["views"] if view not in before["views"]]
    parts += [f"view {view} missing" for view in before["views"] if view not in after["views"]]
    return parts


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _common_rows(
    old_columns: tuple[str, ...], old_rows: list[tuple[Any, ...]], new_columns: tuple[str, ...], new_rows: list[Any]
) -> tuple[list[str], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The columns both sides have, and each side's rows cut to them, sorted."""
    common = [column for column in old_columns if column in new_columns]
    old_at = [old_columns.index(column) for column in common]
    new_at = [new_columns.index(column) for column in common]
    old = sorted((tuple(row[i] for i in old_at) for row in old_rows), key=repr)
    new = sorted((tuple(row[i] for i in new_at) for row in new_rows), key=repr)
    return common, old, new


def _value_differences(
    table: str, common: list[str], old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]
) -> list[str]:
    """Per column, the first value that did not come back."""
    parts = []
    for position, column in enumerate(common):
        old_values = sorted((row[position] for row in old), key=repr)
        new_values = sorted((row[position] for row in new), key=repr)
        pairs = [(a, b) for a, b in zip(old_values, new_values, strict=True) if a != b]
        if pairs:
            parts.append(f"{table}.{column}: values before {_short(pairs[0][0])}, after {_short(pairs[0][1])}")
    return parts or [f"{table}: rows differ"]


def row_differences(before: DataSnapshot, after: DataSnapshot) -> list[str]:
    """Rows that did not come back, on the columns both snapshots have ("t: 2 rows before, 1 after",
    "t.c: values before 'x', after None"). A missing table is the schema's difference, not repeated here."""
    parts = []
    for table, (old_columns, old_rows) in before.items():
        if table not in after:
            continue
        common, old, new = _common_rows(old_columns, old_rows, *after[table])
        if old == new:
            continue
        if len(old) != len(new):
            parts.append(f"{table}: {len(old)} rows before, {len(new)} after")
        else:
            parts += _value_differences(table, common, old, new)
    return parts
