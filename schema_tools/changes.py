"""Change: one schema difference as a frozen record, flattened from Alembic's irregular diff tuples."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from .rules.verdict import DATA_LOSS, MAY_FAIL, RISKS, SAFE, Verdict

__all__ = ["DATA_LOSS", "KINDS", "MAY_FAIL", "RISKS", "SAFE", "Change"]

# Kinds as Alembic names them in compare_metadata's output, in the order a reader wants them.
KINDS = (
    "add_table",
    "remove_table",
    "add_column",
    "remove_column",
    "modify_type",
    "modify_nullable",
    "modify_default",
    "modify_comment",
    "add_index",
    "remove_index",
    "add_constraint",
    "remove_constraint",
    "add_fk",
    "remove_fk",
    "add_table_comment",
    "remove_table_comment",
    # Views the models declare (schema_tools.views), compared by schema_tools.comparators.views.
    "add_view",
    "remove_view",
    "replace_view",
    # Computed and identity columns (schema_tools.comparators.generated).
    "modify_computed",
    "modify_identity",
    # Named enum types, per type (schema_tools.comparators.enums): table is None, columns are "table.column".
    "add_enum_type",
    "remove_enum_type",
    "rename_enum_type",
    "add_enum_label",
    "remove_enum_label",
    "reorder_enum_labels",
)


@dataclass(frozen=True)
class Change:
    """One difference between the desired schema (models) and the current one (database).

    `name` is the object the change is about (table, column, index or constraint name); `before` and
    `after` are short texts (a type, NULL/NOT NULL, a default, an index definition); `risk` is safe,
    may-fail or data-loss, and `reason` says why.
    """

    kind: str
    table: str | None
    name: str | None
    before: str | None = None
    after: str | None = None
    columns: tuple[str, ...] = ()
    risk: str = SAFE
    reason: str = ""
    # The raw diff tuple from compare_metadata, for callers that need the SQLAlchemy objects.
    raw: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    # Every rule's verdict on this change, worst first (schema_tools.rules); `risk` and `reason` are the worst's.
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False, compare=False)
    # "real", or "dialect" when a cross-backend diff sees only two backends spelling one thing (cross_dialect.py).
    origin: str = field(default="real", repr=False)

    @property
    def object_type(self) -> str:
        """table, column, index, unique constraint or foreign key."""
        if self.kind.endswith("_view"):
            return "view"
        if "_enum_" in self.kind:
            return "enum type"
        if self.kind.endswith("_table") or self.kind.endswith("table_comment"):
            return "table"
        if self.kind.endswith("_index"):
            return "index"
        if self.kind.endswith("_fk"):
            return "foreign key"
        if self.kind.endswith("_constraint"):
            return "unique constraint"
        return "column"

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """(kind, table, name): what the change is, independent of how it is shown."""
        return (self.kind, self.table, self.name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "kind": self.kind,
            "table": self.table,
            "name": self.name,
            "object_type": self.object_type,
            "before": self.before,
            "after": self.after,
            "columns": list(self.columns),
            "risk": self.risk,
            "reason": self.reason,
            # Only a cross-backend diff's dialect differences say so: a same-backend diff's JSON is as it was.
            **({"origin": self.origin} if self.origin != "real" else {}),
        }


def flatten(raw_diffs: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    """compare_metadata nests a column's modify_* tuples in a list; flatten once, here."""
    for item in raw_diffs:
        if isinstance(item, list):
            yield from flatten(item)
        else:
            yield item


def type_text(type_: Any, dialect: Dialect | None) -> str:
    """A column type as the dialect spells it, e.g. VARCHAR(100)."""
    if type_ is None:
        return "?"
    type_ = sa.types.to_instance(type_)  # a revision may pass the class (type_=sa.TEXT): show TEXT, not <class ...>
    try:
        return type_.compile(dialect=dialect) if dialect is not None else str(type_)
    except Exception:  # a type the dialect cannot compile (e.g. JSON on an old dialect): show its class
        return repr(type_)


def default_text(default: Any) -> str | None:
    """A server default as SQL text, or None."""
    if default is None:
        return None
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return f"'{arg}'"
    text = getattr(arg, "text", None)
    if text is not None:
        return str(text)
    try:
        return str(arg.compile(compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(arg)


def column_text(column: sa.Column[Any], dialect: Dialect | None) -> str:
    """`VARCHAR(10) NOT NULL DEFAULT 'x'`: a column's definition in one line."""
    parts = [type_text(column.type, dialect), "NULL" if column.nullable else "NOT NULL"]
    default = default_text(column.server_default)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if column.primary_key:
        parts.append("PRIMARY KEY")
    return " ".join(parts)


def _constraint_columns(constraint: Any) -> tuple[str, ...]:
    return tuple(column.name for column in constraint.columns)


def _index_text(index: sa.Index) -> str:
    columns = ", ".join(getattr(expr, "name", str(expr)) for expr in index.expressions)
    return f"{'UNIQUE ' if index.unique else ''}INDEX ({columns})"


_CONSTRAINT_WORDS = {"CheckConstraint": "CHECK", "PrimaryKeyConstraint": "PRIMARY KEY"}


def fk_target(fk: sa.ForeignKeyConstraint) -> tuple[str, tuple[str, ...]]:
    """(referred table, referred columns) without resolving the table, which may not be in the MetaData."""
    targets = [element.target_fullname.rsplit(".", 1) for element in fk.elements]
    if not targets:
        return "?", ()
    return targets[0][0].rsplit(".", 1)[-1], tuple(target[-1] for target in targets)


def _fk_text(fk: sa.ForeignKeyConstraint) -> str:
    referred, columns = fk_target(fk)
    text = f"({', '.join(fk.column_keys)}) -> {referred}({', '.join(columns)})"
    if fk.ondelete:
        text += f" ON DELETE {fk.ondelete}"
    return text


def _added_or_removed(kind: str, text: str) -> tuple[str | None, str | None]:
    """(before, after): an add has only an after, a remove only a before."""
    return (None, text) if kind.startswith("add_") else (text, None)


def _table_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    table = diff[1]
    before, after = _added_or_removed(diff[0], f"{len(table.columns)} columns")
    return Change(diff[0], table.name, table.name, before, after, tuple(c.name for c in table.columns), raw=diff)


def _column_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    kind, _schema, table_name, column = diff
    before, after = _added_or_removed(kind, column_text(column, dialect))
    return Change(kind, table_name, column.name, before, after, (column.name,), raw=diff)


def _modified_text(kind: str, value: Any, dialect: Dialect | None) -> str | None:
    """How a modify_* change shows its before and after values."""
    if kind == "modify_type" and isinstance(value, sa.Enum) and "'" not in type_text(value, dialect):
        return f"{type_text(value, dialect)} ({', '.join(map(repr, value.enums))})"  # VARCHAR(5) hides the labels
    if kind == "modify_type":
        return type_text(value, dialect)
    if kind == "modify_nullable":
        return "NULL" if value else "NOT NULL"
    if kind == "modify_default":
        return default_text(value)
    return None if value is None else str(value)


def _modify_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    kind, _schema, table_name, column_name, _existing, old, new = diff
    before, after = _modified_text(kind, old, dialect), _modified_text(kind, new, dialect)
    return Change(kind, table_name, column_name, before, after, (column_name,), raw=diff)


def _index_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    index = diff[1]
    before, after = _added_or_removed(diff[0], _index_text(index))
    columns = tuple(getattr(expr, "name", str(expr)) for expr in index.expressions)
    return Change(diff[0], index.table.name, index.name, before, after, columns, raw=diff)


def _constraint_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    constraint = diff[1]
    columns = _constraint_columns(constraint)
    word = _CONSTRAINT_WORDS.get(type(constraint).__name__, "UNIQUE")
    text = f"{word} ({', '.join(columns)})"
    if isinstance(constraint, sa.CheckConstraint):  # a CHECK shows its expression, not its (often no) columns
        text = f"CHECK ({constraint.sqltext})"
    before, after = _added_or_removed(diff[0], text)
    return Change(diff[0], constraint.table.name, constraint.name, before, after, columns, raw=diff)


def _fk_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    fk = diff[1]
    before, after = _added_or_removed(diff[0], _fk_text(fk))
    return Change(diff[0], fk.table.name, fk.name, before, after, tuple(fk.column_keys), raw=diff)


def _table_comment_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    table = diff[1]
    return Change(diff[0], table.name, table.name, diff[2] if len(diff) > 2 else None, table.comment, raw=diff)


def _view_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    """A view's change: no table of its own (table None); before and after are its definitions."""
    if diff[0] == "replace_view":
        return Change(diff[0], None, diff[1], diff[2], diff[3], raw=diff)
    before, after = _added_or_removed(diff[0], diff[2] or "")
    return Change(diff[0], None, diff[1], before, after, raw=diff)


def _enum_change(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    """An enum tuple: (kind, schema, table, name, before, after, columns, detail), see comparators/enum_ops.py."""
    kind, _schema, table, name, before, after, columns = diff[:7]
    return Change(kind, table, name, before, after, tuple(columns), raw=diff)


_BUILDERS = {
    **dict.fromkeys(KINDS[KINDS.index("add_enum_type") : KINDS.index("reorder_enum_labels") + 1], _enum_change),
    "add_view": _view_change,
    "remove_view": _view_change,
    "replace_view": _view_change,
    "add_table": _table_change,
    "remove_table": _table_change,
    "add_column": _column_change,
    "remove_column": _column_change,
    "add_index": _index_change,
    "remove_index": _index_change,
    "add_constraint": _constraint_change,
    "remove_constraint": _constraint_change,
    "add_fk": _fk_change,
    "remove_fk": _fk_change,
    "add_table_comment": _table_comment_change,
    "remove_table_comment": _table_comment_change,
}


def change_from_diff(diff: tuple[Any, ...], dialect: Dialect | None) -> Change:
    """One Change from one flattened compare_metadata tuple; a kind schema-tools does not know keeps its tuple."""
    kind = diff[0]
    builder = _modify_change if kind.startswith("modify_") else _BUILDERS.get(kind)
    if builder is None:
        return Change(kind, None, None, None, repr(diff[1:]), raw=diff)
    return builder(diff, dialect)
