"""Cross-backend diffs: which changes are only two backends spelling one schema differently ("dialect")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Dialect, Engine

from .changes import SAFE, Change, default_text
from .connect import read_only_connection
from .cross_types import same_type
from .dialects import SCRATCH, Backend, backend_named, backend_of
from .portable import portable_type
from .rules.catalog import assess
from .rules.types import as_type
from .settings import _normalize_default
from .sources import SchemaSource, is_metadata_path, is_url, resolve_database

REAL, DIALECT = "real", "dialect"
# MetaData.info key naming the dialect a MetaData was reflected on (diff() sets it on a database it reflects).
ORIGIN_KEY = "schema_tools.reflected_on"
# MetaData.info key of renderable()'s copy: (table, column) -> the type reflected, before it was made renderable.
_REFLECTED_TYPES = "schema_tools.reflected_types"


@dataclass(frozen=True)
class Crossing:
    """A diff from a schema reflected on one backend (`source`) to a database on another (`target`)."""

    source: Backend
    target: Backend

    def reason(self, why: str) -> str:
        """The reason a dialect difference shows instead of a risk (the diff names the two backends)."""
        return f"dialect difference: {why}"


def reflected_on(source: SchemaSource, desired: MetaData, config: Config | None = None) -> Backend | None:
    """The backend the desired schema was read from; None for models, which every backend renders its own way.

    A revision is built in a scratch database (SCRATCH's backend); a MetaData says so in its info.
    """
    named = desired.info.get(ORIGIN_KEY)
    if isinstance(named, str):
        return backend_named(named)
    if source is None or isinstance(source, MetaData) or is_metadata_path(source):
        return None
    if isinstance(source, Engine | Connection):
        return backend_of(source)
    if is_url(source):
        return backend_of(resolve_database(source, config))
    return SCRATCH


def crossing(source: Backend | None, target: Dialect) -> Crossing | None:
    """The two backends of a diff, when the source was reflected on another backend than the target's."""
    backend = backend_of(target)
    if source is None or source.family == backend.family:
        return None
    return Crossing(source, backend)


def across(
    source: SchemaSource, desired: MetaData, dialect: Dialect, config: Config | None = None
) -> tuple[MetaData, Crossing | None]:
    """The desired schema as the target's `dialect` can compare it, and the two backends when they differ.

    A schema read from a database remembers its backend (MetaData.info), so a later diff of it knows too.
    """
    origin = reflected_on(source, desired, config)
    if origin is not None:
        desired.info.setdefault(ORIGIN_KEY, origin.dialect_name)
    pair = crossing(origin, dialect)
    if pair is None:
        return desired, None
    restore(desired, source, pair, config)
    return renderable(desired, dialect, pair.source), pair


def _renders(type_: Any, dialect: Dialect) -> bool:
    try:
        as_type(type_).compile(dialect=dialect)
    except sa.exc.CompileError:
        return False
    return True


def renderable(metadata: MetaData, dialect: Dialect, source: Backend) -> MetaData:
    """`metadata`, or a copy whose types the target `dialect` cannot render (BYTEA, TINYINT) are its own.

    Alembic compiles the desired types on the target to compare them; a type only the source backend
    knows would stop the whole diff. It becomes its generic form (portable_type), as a copy would.
    """
    columns = (column for table in metadata.tables.values() for column in table.columns)
    if all(_renders(column.type, dialect) for column in columns):
        return metadata
    convention: Mapping[str, Any] = metadata.naming_convention
    copy = MetaData(naming_convention=dict(convention), schema=metadata.schema)
    copy.info.update(metadata.info)
    reflected: dict[tuple[str, str], Any] = {}
    for table in metadata.tables.values():
        for column in table.to_metadata(copy).columns:
            if not _renders(column.type, dialect):
                reflected[(table.name, column.name)] = column.type
                column.type = portable_type(column.type, dialect, source)
    copy.info[_REFLECTED_TYPES] = reflected
    return copy


def restore(desired: MetaData, source: SchemaSource, pair: Crossing, config: Config | None = None) -> None:
    """Give a database reflected as the source back what its backend re-spelled (MariaDB's JSON is LONGTEXT)."""
    if isinstance(source, MetaData) or not (isinstance(source, Engine | Connection) or is_url(source)):
        return
    if type(pair.source).restore_reflected is Backend.restore_reflected:
        return  # the backend re-spells nothing: no need to connect again
    with read_only_connection(resolve_database(source, config)) as connection:
        pair.source.restore_reflected(connection, dict(desired.tables), MetaData())


def _desired_column(change: Change, desired: MetaData) -> sa.Column[Any] | None:
    table = desired.tables.get(change.table or "")
    return table.columns.get(change.name or "") if table is not None else None


def _type(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    old, new = change.raw[5], change.raw[6]
    new = desired.info.get(_REFLECTED_TYPES, {}).get((change.table, change.name), new)
    return same_type(old, new, pair.target, pair.source) if old is not None and new is not None else None


def _is_boolean(type_: Any, backend: Backend) -> bool:
    instance = as_type(type_)
    return isinstance(instance, sa.Boolean) or any(
        isinstance(c, sa.Boolean) for c in backend.portable_candidates(instance)
    )


def _default(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    """The autoincrement key's own numbering (PostgreSQL's nextval), or one default spelled two ways."""
    old, new = default_text(change.raw[5]), default_text(change.raw[6])
    if (old is None and new is not None and pair.source.autoincrement_default(new)) or (
        new is None and old is not None and pair.target.autoincrement_default(old)
    ):
        return "the backend's own numbering of an autoincrement key"
    column = _desired_column(change, desired)
    existing = change.raw[4].get("existing_type")
    boolean = (column is not None and _is_boolean(column.type, pair.source)) or (
        existing is not None and _is_boolean(existing, pair.target)
    )
    probe = sa.Column("probe", sa.Boolean() if boolean else sa.Integer())
    if old is not None and _normalize_default(old, probe) == _normalize_default(new, probe):
        return "one default, spelled two ways"
    return None


def _nullable(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    """A primary key column is NOT NULL on every backend, whatever one reflects."""
    column = _desired_column(change, desired)
    if column is not None and column.primary_key and isinstance(as_type(column.type), sa.Integer):
        return "an integer primary key, NOT NULL on every backend"
    return None


def _comment(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    lacking = [backend.family for backend in (pair.source, pair.target) if not backend.stores_comments]
    return f"{lacking[0]} keeps no comments" if lacking else None


def _index(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    """An index the backend made by itself on foreign key columns (MySQL), which the other backend lacks."""
    index = change.raw[1]
    if not isinstance(index, sa.Index) or index.table is None:
        return None
    # Alembic hands over copies of the desired tables, without their foreign keys: look the table up by name.
    added = change.kind == "add_index"
    backend, table = (pair.source, desired.tables.get(index.table.name)) if added else (pair.target, index.table)
    made = backend.implicit_indexes(table) if table is not None else set()
    if any(ix.name == index.name and ix.unique == index.unique for ix in made):
        return f"{backend.family} indexes foreign key columns by itself"
    return None


def _keeps_enums_inline(backend: Backend) -> bool:
    """No named enum types (CREATE TYPE): the backend does not override Backend.named_enums."""
    return type(backend).named_enums is Backend.named_enums


def _enum_type(change: Change, pair: Crossing, desired: MetaData) -> str | None:
    """A named enum type (PostgreSQL) whose columns the other backend has too, each with its enum inline."""
    inline = pair.source if change.kind == "remove_enum_type" else pair.target
    in_source = all(
        column in desired.tables[table].columns if table in desired.tables else False
        for table, _, column in (dotted.partition(".") for dotted in change.columns)
    )
    if _keeps_enums_inline(inline) and change.columns and in_source:
        return f"{inline.family} keeps enums in their columns, not as named types"
    return None


_DECISIONS: dict[str, Callable[[Change, Crossing, MetaData], str | None]] = {
    "modify_type": _type,
    "modify_default": _default,
    "modify_nullable": _nullable,
    "modify_comment": _comment,
    "add_table_comment": _comment,
    "remove_table_comment": _comment,
    "add_index": _index,
    "remove_index": _index,
    "add_enum_type": _enum_type,
    "remove_enum_type": _enum_type,
}


def _unique_key(change: Change) -> tuple[str | None, frozenset[str]] | None:
    """(table, columns) of an added or removed unique index or unique constraint; None for anything else."""
    item = change.raw[1] if len(change.raw) > 1 else None
    unique = (isinstance(item, sa.Index) and item.unique) or isinstance(item, sa.UniqueConstraint)
    return (change.table, frozenset(change.columns)) if unique else None


def _unique_pairs(changes: Sequence[Change]) -> set[int]:
    """Positions of unique indexes paired with a unique constraint on the same columns, one added, one removed.

    MySQL keeps (and reflects) a unique constraint as a unique index: the same guarantee, spelled two ways.
    """
    found: dict[tuple[str, str, tuple[str | None, frozenset[str]]], int] = {}
    for position, change in enumerate(changes):
        key = _unique_key(change)
        if key is not None:
            found[(change.kind.split("_", 1)[0], change.kind.rsplit("_", 1)[1], key)] = position
    paired: set[int] = set()
    for (action, shape, key), position in found.items():
        other = ("remove" if action == "add" else "add", "constraint" if shape == "index" else "index", key)
        if other in found:
            paired |= {position, found[other]}
    return paired


def _as_dialect(change: Change, pair: Crossing, why: str) -> Change:
    return replace(change, origin=DIALECT, risk=SAFE, reason=pair.reason(why), verdicts=())


def mark(changes: Sequence[Change], pair: Crossing, desired: MetaData) -> tuple[Change, ...]:
    """The changes, each `real` or `dialect`: a dialect one is the two backends spelling the same thing."""
    paired = _unique_pairs(changes)
    marked: list[Change] = []
    for position, change in enumerate(changes):
        decide = _DECISIONS.get(change.kind)
        why = decide(change, pair, desired) if decide is not None else None
        if position in paired:
            why = "a unique constraint and a unique index are the same guarantee"
        marked.append(change if why is None else _as_dialect(change, pair, why))
    return tuple(marked)


def assess_across(
    changes: Sequence[Change], connection: Connection | None, pair: Crossing, desired: MetaData
) -> tuple[Change, ...]:
    """diff()'s risk for a cross-backend diff: the real changes judged by the rules, the dialect ones safe."""
    marked = mark(changes, pair, desired)
    real = iter(assess(tuple(c for c in marked if c.origin == REAL), connection, pair.target.dialect_name))
    return tuple(next(real) if change.origin == REAL else change for change in marked)
