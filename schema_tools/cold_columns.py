"""Is a reflected column what the model says? Alembic's own column comparators decide, once per distinct pair."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops

from .dialects import Backend
from .dialects.bulk_types import BulkCatalog

__all__ = ["ColumnJudge"]


_PLAIN = (str, int, float, bool, type(None))
_PLAIN_CLASSES = frozenset(_PLAIN)


def _value_key(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return (value.__class__, value)
    if isinstance(value, sa.types.TypeEngine):
        return _type_key(value)
    if isinstance(value, list | tuple | frozenset | set):
        return (type(value).__name__, tuple(_value_key(item) for item in value))
    if isinstance(value, type):
        return (value.__module__, value.__qualname__)
    return ("object", id(value))  # nothing known about it: equal only to itself


def _type_key(type_: Any) -> Any:
    """A type's class and public attributes: what tells two types apart, without SQLAlchemy's slow generic repr."""
    # A hot path (every column of every table): plain values, by far the most common, skip _value_key's tests.
    # Each plain value with its class: 1, 1.0 and True are equal (and hash alike) but are different attributes.
    attributes = [
        (name, value.__class__, value) if value.__class__ in _PLAIN_CLASSES else (name, _value_key(value))
        for name, value in vars(type_).items()
        if name[0] != "_" and name != "dispatch"
    ]
    attributes.sort(key=_first)
    return (type(type_), tuple(attributes))


def _first(pair: tuple[Any, ...]) -> Any:
    return pair[0]


def _default_key(default: Any, dialect: sa.Dialect) -> Any:
    if default is None:
        return None
    if isinstance(default, sa.DefaultClause):
        arg = default.arg
        text = (
            arg if isinstance(arg, str) else str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        )
        return ("clause", text)
    return (type(default).__name__, repr(default))  # Computed, Identity, FetchedValue ...


class ColumnJudge:
    """Runs Alembic's column comparator dispatch (with every plugin, ours and a user's) on a reflected column.

    The verdict depends only on the two columns' attributes that comparators read, so it is kept per pair of
    those attributes: a schema of 10,000 tables has a few dozen distinct pairs, each judged once.
    """

    def __init__(self, autogen_context: AutogenContext, backend: Backend, catalog: BulkCatalog) -> None:
        self._context = autogen_context
        self._catalog = catalog
        self._backend = backend
        self.dialect = self._dialect = autogen_context.dialect
        self._verdicts: dict[Any, bool] = {}
        self._dispatch = autogen_context.comparators.dispatch("column", qualifier=self._dialect.name)

    def same(self, table: str, reflected: dict[str, Any], model: sa.Column[Any], in_key: bool) -> bool:
        """Would compare_metadata find no change between the reflected column (`in_key`: of the primary key)?"""
        info = dict(reflected)
        self._backend.autogen_column_reflect(self._context.migration_context.impl, self._catalog, info)
        attributes = [
            (name, _type_key(value) if name == "type" else (value.__class__, value)) for name, value in info.items()
        ]
        attributes.sort(key=_first)
        key: tuple[Any, ...] = (self._model_key(model), in_key, *attributes)
        try:
            verdict = self._verdicts.get(key)
        except TypeError:  # an unhashable value (a dict of dialect options): its repr tells it apart
            key = (key[0], in_key, repr(attributes))
            verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._judge(table, info, model, in_key)
        return verdict

    def _model_key(self, column: sa.Column[Any]) -> tuple[Any, ...]:
        table = column.table
        return (
            column.name, _type_key(column.type), column.nullable,
            _default_key(column.server_default, self._dialect), column.comment, column.primary_key,
            column is table._autoincrement_column, repr(column.computed), repr(column.identity),
            column.autoincrement,
        )  # fmt: skip

    def _judge(self, table: str, info: dict[str, Any], model: sa.Column[Any], in_key: bool) -> bool:
        inspected = _column(info, in_key)
        sa.Table(table, sa.MetaData(), inspected)  # comparators may read the column's table
        alter = ops.AlterColumnOp(table, model.name)
        self._dispatch(self._context, alter, None, table, model.name, inspected, model)
        return not alter.has_changes()


def _column(info: dict[str, Any], in_key: bool) -> sa.Column[Any]:
    """The Column reflection would build from `info`, as Inspector._reflect_column builds it (then the key)."""
    keywords = {
        key: info[key] for key in ("nullable", "autoincrement", "quote", "info", "key", "comment") if key in info
    }
    keywords.update(info.get("dialect_options", {}))
    arguments: list[Any] = []
    default = info.get("default")
    if default is not None:
        if isinstance(default, sa.sql.elements.TextClause):
            arguments.append(sa.DefaultClause(default, _reflected=True))
        elif isinstance(default, sa.schema.FetchedValue):
            arguments.append(default)
        else:
            arguments.append(sa.DefaultClause(sa.text(default), _reflected=True))
    if "computed" in info:
        arguments.append(sa.Computed(**info["computed"]))
    if "identity" in info:
        arguments.append(sa.Identity(**info["identity"]))
    return sa.Column(info["name"], info["type"], *arguments, primary_key=in_key, **keywords)
