"""Rows a schema accepts: values valid for each column's type, enum labels, CHECK constraints, keys and uniques.

The roundtrip lab and the data-loss guard seed scratch databases so that downgrades and deletes have rows to
lose. A value the database refuses would make a sound revision look broken, so every value is chosen from
what the reflected schema allows, and a table whose insert is still refused is retried with other values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection

from .settings import INTERNAL_TABLES

ROWS_PER_TABLE = 2
# Insert attempts per row: the preferred values, then alternatives, then with nullable columns left NULL.
ATTEMPTS = 6
_SEED_NAMESPACE = uuid.UUID("5eed0000-0000-4000-8000-000000000000")
_BASE_TIME = dt.datetime(2024, 1, 2, 3, 4, 5)
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
    metadata = sa.MetaData()
    metadata.reflect(bind=connection, only=lambda name, _: name not in INTERNAL_TABLES)
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
    pairs = sa.schema.sort_tables_and_constraints(metadata.tables.values())
    return [table for table, _ in pairs if table is not None]


# -- CHECK constraints ------------------------------------------------------------------------------------------


def check_constraints(connection: Connection) -> dict[str, tuple[tuple[str | None, str], ...]]:
    """(name, SQL text) of every CHECK constraint per table.

    MariaDB keeps column-level CHECKs (its JSON columns' json_valid) out of what SQLAlchemy reflects, so
    there they are read from information_schema, which lists both levels.
    """
    if connection.dialect.name in ("mysql", "mariadb") and getattr(connection.dialect, "is_mariadb", False):
        rows = connection.exec_driver_sql(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME"
        ).all()
        found: dict[str, list[tuple[str | None, str]]] = {}
        for table, name, clause in rows:
            found.setdefault(table, []).append((name, clause))
        return {table: tuple(items) for table, items in found.items()}
    inspector = sa.inspect(connection)
    result = {}
    for table in inspector.get_table_names():
        try:
            items = inspector.get_check_constraints(table)
        except NotImplementedError:
            items = []
        if items:
            result[table] = tuple((item.get("name"), str(item["sqltext"])) for item in items)
    return result


@dataclass
class ColumnRule:
    """What the CHECK constraints on one column allow, as far as their simple forms tell."""

    allowed: tuple[Any, ...] | None = None
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    min_length: int | None = None
    max_length: int | None = None
    json: bool = False

    def accepts_number(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)):
            return False
        return True


_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\s+(?:varying|precision|without\s+time\s+zone|with\s+time\s+zone))?)"
    r"(?:\(\d+(?:\s*,\s*\d+)?\))?(?:\[\])?",
    re.IGNORECASE,
)
_ID = r"\(?\s*([A-Za-z_][\w$]*)\s*\)?"
_LITERAL = r"\(?\s*('(?:[^']|'')*'|[-+]?\s*\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false)\s*\)?"
_OPERATOR = r"(<=|>=|<>|!=|==|=|<|>)"
_IN = re.compile(rf"^{_ID}\s+in\s*\((.*)\)$", re.IGNORECASE | re.DOTALL)
_ANY = re.compile(rf"^{_ID}\s*=\s*any\s*\(\s*\(?\s*array\s*\[(.*)\]\s*\)?\s*\)$", re.IGNORECASE | re.DOTALL)
_COMPARE = re.compile(rf"^{_ID}\s*{_OPERATOR}\s*{_LITERAL}$", re.IGNORECASE)
_COMPARE_REVERSED = re.compile(rf"^{_LITERAL}\s*{_OPERATOR}\s*{_ID}$", re.IGNORECASE)
_BETWEEN = re.compile(rf"^{_ID}\s+between\s+{_LITERAL}\s+and\s+{_LITERAL}$", re.IGNORECASE)
_LENGTH = re.compile(
    rf"^(?:length|char_length|character_length|len)\s*\(\s*{_ID}\s*\)\s*{_OPERATOR}\s*\(?\s*(\d+)\s*\)?$",
    re.IGNORECASE,
)
_NOT_NULL = re.compile(rf"^{_ID}\s+is\s+not\s+null$", re.IGNORECASE)
_IS_NULL = re.compile(rf"^{_ID}\s+is\s+null$", re.IGNORECASE)
_JSON_VALID = re.compile(rf"^json_valid\s*\(\s*{_ID}\s*\)$", re.IGNORECASE)
_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "==": "==", "<>": "<>", "!=": "!="}


def normalize_check(text: str) -> str:
    """A CHECK's SQL without casts, identifier quotes, outer parentheses and spacing differences."""
    value = _CAST.sub("", text)
    value = re.sub(r'"([^"]+)"', r"\1", value)
    value = re.sub(r"`([^`]+)`", r"\1", value)
    value = " ".join(value.split())
    return _strip_parentheses(value)


def _strip_parentheses(text: str) -> str:
    value = text.strip()
    while value.startswith("(") and _closing(value, 0) == len(value) - 1:
        value = value[1:-1].strip()
    return value


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at `start` (quotes respected), or -1."""
    depth = 0
    quoted = False
    for index in range(start, len(text)):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split_top(text: str, word: str) -> list[str]:
    """`text` split on the keyword `word` where it is outside parentheses and quotes."""
    parts: list[str] = []
    depth, quoted, start, index = 0, False, 0, 0
    pattern = re.compile(rf"\s{word}\s", re.IGNORECASE)
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and pattern.match(text, index):
            parts.append(text[start:index].strip())
            index += len(word) + 1
            start = index
            continue
        index += 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _conjuncts(text: str) -> list[str]:
    parts = _split_top(_strip_parentheses(text), "and")
    merged: list[str] = []
    for part in parts:
        if (
            merged
            and re.search(r"\sbetween\s", merged[-1], re.IGNORECASE)
            and not re.search(r"\sbetween\s.+\sand\s", merged[-1], re.IGNORECASE)
        ):
            merged[-1] = f"{merged[-1]} AND {part}"
        else:
            merged.append(part)
    return [_strip_parentheses(part) for part in merged]


def _literal(text: str) -> Any:
    value = text.strip()
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    number = value.replace(" ", "")
    return float(number) if any(c in number for c in ".eE") else int(number)


def _literals(listing: str) -> tuple[Any, ...]:
    items = re.findall(r"'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false", listing, re.IGNORECASE)
    return tuple(_literal(item) for item in items)


def _piece(text: str) -> tuple[str, dict[str, Any]] | None:
    """(column, rule fields) for one simple condition, or None when its form is not one of the simple ones."""
    for pattern in (_IN, _ANY):
        found = pattern.match(text)
        if found:
            return found[1], {"allowed": _literals(found[2])}
    found = _COMPARE.match(text)
    reversed_found = _COMPARE_REVERSED.match(text) if not found else None
    if found or reversed_found:
        if found:
            column, operator, literal = found[1], found[2], found[3]
        else:
            assert reversed_found is not None
            literal, operator, column = reversed_found[1], _FLIPPED[reversed_found[2]], reversed_found[3]
        value = _literal(literal)
        if operator in ("=", "=="):
            return column, {"allowed": (value,)}
        if operator in ("<>", "!=") or isinstance(value, str | bool):
            return None
        if operator in (">", ">="):
            return column, {"low": value, "low_inclusive": operator == ">="}
        return column, {"high": value, "high_inclusive": operator == "<="}
    found = _BETWEEN.match(text)
    if found:
        low, high = _literal(found[2]), _literal(found[3])
        if isinstance(low, str) or isinstance(high, str):
            return None
        return found[1], {"low": low, "high": high}
    found = _LENGTH.match(text)
    if found:
        column, operator, size = found[1], found[2], int(found[3])
        if operator in ("<", "<="):
            return column, {"max_length": size - (operator == "<")}
        if operator in (">", ">="):
            return column, {"min_length": size + (operator == ">")}
        if operator in ("=", "=="):
            return column, {"min_length": size, "max_length": size}
        return None
    found = _NOT_NULL.match(text)
    if found:
        return found[1], {}
    found = _JSON_VALID.match(text)
    if found:
        return found[1], {"json": True}
    return None


def _pieces(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for conjunct in _conjuncts(normalize_check(text)):
        alternatives = _split_top(conjunct, "or")
        if len(alternatives) == 1:
            piece = _piece(conjunct)
            if piece:
                found.append(piece)
            continue
        # `col IS NULL OR col IN (...)`, `col = 'a' OR col = 'b'`: a non-NULL value must meet the rest.
        kept = [_strip_parentheses(part) for part in alternatives if not _IS_NULL.match(_strip_parentheses(part))]
        pieces = [_piece(part) for part in kept]
        if not pieces or any(piece is None for piece in pieces):
            continue
        columns = {piece[0].lower() for piece in pieces if piece}
        if len(pieces) == 1 and pieces[0]:
            found.append(pieces[0])
        elif len(columns) == 1 and all(piece and set(piece[1]) == {"allowed"} for piece in pieces):
            allowed = tuple(value for piece in pieces if piece for value in piece[1]["allowed"])
            found.append((next(iter(columns)), {"allowed": allowed}))
    return found


def column_rules(table: sa.Table, checks: Iterable[tuple[str | None, str]]) -> dict[str, ColumnRule]:
    """What each column's CHECK constraints allow, keyed by column name (only the simple forms are read)."""
    names = {column.name.lower(): column.name for column in table.columns}
    rules: dict[str, ColumnRule] = {}
    for _, text in checks:
        for column, fields in _pieces(text):
            name = names.get(column.lower())
            if name is None:
                continue
            rule = rules.setdefault(name, ColumnRule())
            _merge(rule, fields)
    return rules


def _merge(rule: ColumnRule, fields: dict[str, Any]) -> None:
    if "allowed" in fields:
        new = tuple(fields["allowed"])
        rule.allowed = new if rule.allowed is None else tuple(v for v in rule.allowed if v in new) or new
    if "low" in fields and (rule.low is None or fields["low"] >= rule.low):
        rule.low, rule.low_inclusive = fields["low"], fields.get("low_inclusive", True)
    if "high" in fields and (rule.high is None or fields["high"] <= rule.high):
        rule.high, rule.high_inclusive = fields["high"], fields.get("high_inclusive", True)
    if "min_length" in fields:
        rule.min_length = max(rule.min_length or 0, fields["min_length"])
    if "max_length" in fields:
        rule.max_length = (
            fields["max_length"] if rule.max_length is None else min(rule.max_length, fields["max_length"])
        )
    if fields.get("json"):
        rule.json = True


# -- values ------------------------------------------------------------------------------------------------------


def candidates(
    column: sa.Column[Any],
    rule: ColumnRule | None,
    table: str,
    n: int,
    position: int = 0,
    labels: tuple[str, ...] | None = None,
) -> list[Any]:
    """Values for row `n` of `column`, preferred first; all meet the column's type, length and CHECK rule.

    Row n's first value differs from the other rows' first values, so unique constraints hold.
    `position` (the column's place in its table) orders same-typed columns, for CHECKs like `a < b`;
    `labels` are the enum labels the app reads an unconstrained string column as.
    """
    rule = rule or ColumnRule()
    type_ = column.type
    if rule.allowed:
        allowed = [_coerce(value, type_) for value in rule.allowed]
        allowed = [value for value in allowed if value is not None]
        if allowed:
            return _rotated(allowed, n)
    if isinstance(type_, satypes.Enum) and type_.enums:
        return _rotated(list(type_.enums), n)
    if labels and isinstance(type_, satypes.String):
        fitting = [label for label in labels if not type_.length or len(label) <= type_.length]
        if fitting:
            return _rotated(fitting, n)
    if isinstance(type_, satypes.Boolean):
        return [n % 2 == 0, n % 2 == 1]
    if isinstance(type_, satypes.JSON):
        return [{"seed": n, "table": table}, [n], f"s{n}"]
    if isinstance(type_, satypes.ARRAY):
        item = sa.Column(column.name, type_.item_type)
        return [[value] for value in candidates(item, None, table, n, position)[:2]]
    python = _python_type(type_)
    if python is dt.timedelta:
        return [dt.timedelta(days=1 + n, seconds=5 + position), dt.timedelta(minutes=n + 1)]
    if isinstance(type_, satypes.DateTime) or python is dt.datetime:
        aware = bool(getattr(type_, "timezone", False))
        moment = _BASE_TIME + dt.timedelta(days=n, hours=min(position, 20))
        moment = moment.replace(tzinfo=dt.UTC) if aware else moment
        return [moment, moment + dt.timedelta(days=400)]
    if isinstance(type_, satypes.Date) or python is dt.date:
        day = _BASE_TIME.date() + dt.timedelta(days=n)
        return [day, day + dt.timedelta(days=400)]
    if isinstance(type_, satypes.Time) or python is dt.time:
        aware = bool(getattr(type_, "timezone", False))
        moment = dt.time(3 + min(position, 20), n % 60, 5, tzinfo=dt.UTC if aware else None)
        return [moment, moment.replace(hour=0)]
    if isinstance(type_, satypes.Integer) or python is int:
        return _numbers([10 * (n + 1) + position, n + 1, n, 100 + n, -1 - n], rule, n, integral=True)
    if isinstance(type_, satypes.Float):
        return _numbers([1.5 + n, 0.5 + n, 10.5 + n, -1.5 - n], rule, n, integral=False)
    if isinstance(type_, satypes.Numeric):
        return [value for value in _decimals(type_, n) if rule.accepts_number(float(value))] or _bounded(rule, n)
    if isinstance(type_, satypes.Uuid):
        value = uuid.uuid5(_SEED_NAMESPACE, f"{table}.{column.name}.{n}")
        return [value if getattr(type_, "as_uuid", True) else str(value)]
    if isinstance(type_, satypes._Binary):
        length = getattr(type_, "length", None) or 4
        return [bytes([n % 256, 1, 2, 3][:length]), bytes([255 - n % 256][:length])]
    special = _special(type_, n)
    if special is not None:
        return special
    if isinstance(type_, satypes.String) or python is str:
        return _strings(type_, rule, table, column.name, n)
    return []


def _rotated(values: list[Any], n: int) -> list[Any]:
    return [values[(n + i) % len(values)] for i in range(len(values))]


def _python_type(type_: Any) -> type | None:
    try:
        return type_.python_type
    except (NotImplementedError, AttributeError):
        return None


def _coerce(value: Any, type_: Any) -> Any:
    """A CHECK literal as the column's Python value: 1 for an integer column, '1' for a text one."""
    if isinstance(type_, satypes.Boolean):
        return None  # True/False cover `IN (0, 1)`; the Boolean type refuses plain integers
    if isinstance(type_, satypes.Integer):
        return int(value) if isinstance(value, int | float) and float(value).is_integer() else None
    if isinstance(type_, satypes.Numeric):
        return value if isinstance(value, int | float) else None
    if isinstance(type_, satypes.String) or _python_type(type_) is str:
        return value if isinstance(value, str) else str(value)
    return value


def _numbers(values: list[float], rule: ColumnRule, n: int, *, integral: bool) -> list[Any]:
    kept = [value for value in values if rule.accepts_number(value)]
    return kept or _bounded(rule, n, integral=integral)


def _bounded(rule: ColumnRule, n: int, *, integral: bool = True) -> list[Any]:
    """Values just inside the CHECK's bounds (row n's first), for when the usual values all fall outside."""
    step = 1 if integral else 0.5
    if rule.low is not None:
        first = rule.low if rule.low_inclusive else rule.low + step
        values = [first + n * step, first]
    elif rule.high is not None:
        first = rule.high if rule.high_inclusive else rule.high - step
        values = [first - n * step, first]
    else:
        return []
    kept = [value for value in values if rule.accepts_number(value)]
    return list(dict.fromkeys(int(value) if integral else value for value in kept))


def _decimals(type_: Any, n: int) -> list[Decimal]:
    """Values with at most precision - scale whole digits and `scale` decimals."""
    scale = type_.scale or 0
    whole_digits = (type_.precision - scale) if type_.precision else 6
    top = 10**whole_digits - 1 if whole_digits > 0 else 0
    fraction = Decimal("0.5") if scale >= 1 else Decimal(0)
    values = []
    for whole in (n + 1, n, 10 + n):
        if top == 0:
            values.append(Decimal(whole % 10**scale or 1).scaleb(-scale) if scale else Decimal(0))
        else:
            values.append(Decimal(whole % (top + 1)) + fraction)
    return list(dict.fromkeys(values))


def _special(type_: Any, n: int) -> list[Any] | None:
    """Values for PostgreSQL types without a Python type SQLAlchemy knows."""
    name = type(type_).__name__.upper()
    table = {
        "INET": [f"10.0.0.{n + 1}"],
        "CIDR": [f"10.{n}.0.0/16"],
        "MACADDR": [f"08:00:2b:01:02:{n:02x}"],
        "MACADDR8": [f"08:00:2b:01:02:03:04:{n:02x}"],
        "TSVECTOR": [f"seed{n}"],
        "BIT": ["1"],
        "MONEY": [f"{n + 1}.50"],
        "HSTORE": [{"seed": str(n)}],
    }
    return table.get(name)


def _strings(type_: Any, rule: ColumnRule, table: str, column: str, n: int) -> list[str]:
    length = getattr(type_, "length", None)
    limits = [limit for limit in (length, rule.max_length) if limit]
    limit = min(limits) if limits else None
    least = rule.min_length or 0
    if rule.json:
        texts = [json.dumps({"seed": n, "table": table}), json.dumps(n), json.dumps(f"s{n}")]
    else:
        texts = [f"s{n}-{table[:6]}-{column[:6]}-ü", f"{n + 1}", f"a{n}", json.dumps(f"s{n}"), f"{n}"]
    found = []
    for text in texts:
        if limit is not None and len(text) > limit:
            if rule.json:
                continue  # cut JSON is no JSON
            text = text[:limit] if limit >= len(f"s{n}") else str(n % 10)[:limit]
        if len(text) < least:
            text += "x" * (least - len(text))
        if limit is None or len(text) <= limit:
            found.append(text)
    return list(dict.fromkeys(found))


# -- inserting ----------------------------------------------------------------------------------------------------


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
            found.append(lambda attempt, keys=keys, names=local: _key(names, keys, n + attempt))
        elif all(table.columns[name].nullable for name in local):
            found.append(lambda attempt, names=local: dict.fromkeys(names))
        else:
            parent = constraint.referred_table.name
            return [], f"no row in {parent} for its NOT NULL foreign key ({', '.join(local)})"
    return found, None


def _key(names: list[str], keys: list[Any], index: int) -> dict[str, Any]:
    return dict(zip(names, keys[index % len(keys)], strict=True))


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
