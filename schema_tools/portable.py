"""Reflected types, defaults and tables respelled so another backend can render them (for offline SQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from .dialects import Backend, backend_of
from .sqltext import portable_default


def portable_type(type_: Any, target: Dialect, source: Backend | None = None) -> TypeEngine[Any]:
    """A reflected type the `target` dialect can render: its generic form (JSONB -> JSON, TINYINT(1) -> Boolean).

    Falls back to the type itself when it compiles there, then to TEXT (what values of a type the target
    lacks, such as INET or ARRAY, are stored as when copied). `source` is the backend it was reflected on.
    """
    instance = sa.types.to_instance(type_)
    candidates: list[TypeEngine[Any]] = list(source.portable_candidates(instance)) if source is not None else []
    generic = _generic(instance)
    if generic is not None:
        candidates.append(generic)
    candidates.append(instance)
    for candidate in candidates:
        try:
            candidate.compile(dialect=target)
        except sa.exc.CompileError:
            continue
        return candidate
    return sa.Text()


def _generic(instance: TypeEngine[Any]) -> TypeEngine[Any] | None:
    """The type's generic form without server-specific details, or None when it has none."""
    try:
        generic = instance.as_generic()
    except NotImplementedError:
        return None
    if isinstance(generic, sa.String):
        generic.collation = None  # collations are named per server (utf8mb4_bin means nothing to SQLite)
        if generic.length is None and not isinstance(generic, sa.Enum):
            return sa.Text()  # MySQL's TINYTEXT/MEDIUMTEXT/LONGTEXT, unbounded
    return generic


def portable_server_default(default: Any, type_: Any, target: Dialect) -> Any:
    """A reflected server default (SQL text) respelled for `target`, or None when it has no meaning there.

    Anything else (None, False for "unchanged", a plain string value, an expression) renders on any dialect.
    """
    if not isinstance(default, sa.TextClause):
        return default
    spelled = portable_default(default.text, target.name, boolean=isinstance(sa.types.to_instance(type_), sa.Boolean))
    return None if spelled is None else sa.text(spelled)


def portable_tables(tables: dict[str, sa.Table], source: str, target: Dialect) -> dict[str, sa.Table]:
    """Copies of tables reflected on `source`, with types and server defaults the `target` dialect can render.

    What a batch rebuild on another backend copies from the draft's database. Indexes the source made by
    itself (MySQL's on foreign key columns) are left out, as Alembic leaves them out of its comparison.
    """
    backend = backend_of(source)
    metadata = MetaData()
    copies: dict[str, sa.Table] = {}
    for name, table in tables.items():
        copied = table.to_metadata(metadata)
        for column in copied.columns:
            column.type = portable_type(column.type, target, backend)
            if isinstance(column.server_default, sa.DefaultClause):
                respelled = portable_server_default(column.server_default.arg, column.type, target)
                column.server_default = None if respelled is None else sa.DefaultClause(respelled)
        for index in backend.implicit_indexes(copied):
            copied.indexes.discard(index)
        copies[name] = copied
    return copies
