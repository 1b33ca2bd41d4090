"""diff(): the models (or a database, or a revision) against a live database, via Alembic's compare_metadata."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack, overload

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine

from .changes import KINDS, RISKS, Change, change_from_diff, flatten
from .cold_diff import narrowed, tables_to_compare, without_gc_pauses
from .cross_dialect import DIALECT, REAL, across, assess_across
from .diff_render import DiffView
from .drawing import Diagram, ERDiagram, ErdOptions, diagram_of_changes, erd
from .rules.catalog import assess
from .settings import compare_options
from .sources import SchemaSource, describe, desired_schema, is_snapshot, open_database, reflect


@dataclass(frozen=True, repr=False, eq=False)
class SchemaDiff(Sequence[Change]):
    """What autogenerate would change to make `target` match `source`; immutable, falsy when empty.

    Diffing a database of one backend against another's (or a revision, built in SQLite, against a
    PostgreSQL database), many changes are only the two backends spelling one schema differently
    (DATETIME vs TIMESTAMP, PostgreSQL's nextval() defaults): those have `origin` "dialect", a safe risk,
    and stay out of summary(), `risk` and the headline; they are shown apart. The sequence holds every
    change, real or dialect; real() gives the real ones. Within one backend every change is real.
    """

    changes: tuple[Change, ...]
    source: str
    target: str
    dialect: str
    desired: MetaData = field(compare=False)
    # The live schema, reflected on first use (ER diagrams of the diff need it; the diff itself does not).
    _load_current: Callable[[], MetaData] = field(compare=False)
    _cache: dict[str, MetaData] = field(default_factory=dict, compare=False)
    # The backend the source was reflected on, when it is another than the target's (a cross-backend diff).
    source_dialect: str | None = field(default=None, compare=False)

    @overload
    def __getitem__(self, index: int) -> Change: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Change]: ...
    def __getitem__(self, index: int | slice) -> Change | Sequence[Change]:
        return self.changes[index]

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SchemaDiff) and self.changes == other.changes

    def __hash__(self) -> int:
        return hash(self.changes)

    @property
    def current(self) -> MetaData:
        """The live schema in a fresh MetaData (reflected read-only once, then kept)."""
        if "current" not in self._cache:
            self._cache["current"] = self._load_current()
        return self._cache["current"]

    def by_table(self) -> dict[str, tuple[Change, ...]]:
        """Changes grouped by table, tables in name order, changes in Alembic's kind order."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.table or "", []).append(change)
        return {table: tuple(groups[table]) for table in sorted(groups)}

    def real(self) -> tuple[Change, ...]:
        """The real changes: all of them, but for a cross-backend diff's dialect differences."""
        return tuple(change for change in self.changes if change.origin == REAL)

    def dialect_differences(self) -> tuple[Change, ...]:
        """A cross-backend diff's changes that are only the two backends' spellings of one thing."""
        return tuple(change for change in self.changes if change.origin == DIALECT)

    def summary(self) -> dict[str, Any]:
        """Counts of the real changes: all, tables touched, per risk and per kind (+ dialect ones across backends)."""
        real = self.real()
        risks = Counter(change.risk for change in real)
        kinds = Counter(change.kind for change in real)
        counts = {
            "changes": len(real),
            "tables": len({change.table for change in real}),
            "risk": {risk: risks.get(risk, 0) for risk in RISKS},
            "kinds": {kind: kinds[kind] for kind in KINDS if kinds.get(kind)},
        }
        if self.source_dialect is not None:
            counts["dialect"] = len(self.changes) - len(real)
        return counts

    @property
    def risk(self) -> str:
        """The worst risk among the real changes ("safe" when there are none)."""
        worst = max((RISKS.index(change.risk) for change in self.real()), default=0)
        return RISKS[worst]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: {"source", "target", "dialect", "changes": [...], "summary": {...}}.

        A cross-backend diff adds "source_dialect", and each change its "origin" ("real" or "dialect").
        """
        if self.source_dialect is None:
            changes = [change.to_dict() for change in self.changes]
            crossed: dict[str, Any] = {}
        else:
            changes = [{**change.to_dict(), "origin": change.origin} for change in self.changes]
            crossed = {"source_dialect": self.source_dialect}
        return {
            "source": self.source,
            "target": self.target,
            "dialect": self.dialect,
            **crossed,
            "changes": changes,
            "summary": self.summary(),
        }

    def diagram(self) -> Diagram:
        """The union of both schemas, each element marked by the real changes: what erd() draws."""
        return diagram_of_changes(self.real(), self.desired, self.current, f"{self.target} -> {self.source}")

    def erd(self, **options: Unpack[ErdOptions]) -> ERDiagram:
        """The diff drawn on an ER diagram (see schema_tools.drawing)."""
        return erd(self, **options)

    def _view(self) -> DiffView:
        backends = f"{self.source_dialect} vs {self.dialect}" if self.source_dialect is not None else ""
        return DiffView(self.real(), self.dialect_differences(), self.source, self.target, backends)

    def __str__(self) -> str:
        return self._view().text()

    def __repr__(self) -> str:
        return f"<SchemaDiff {self.dialect}: {len(self.changes)} changes>\n{self}"

    def _repr_html_(self) -> str:
        return self._view().html()


def compare(
    connection: Connection, desired: MetaData, *, only: Collection[str] | None = None, fast: bool = True
) -> list[Any]:
    """compare_metadata with the environment's options: exactly what autogenerate and `alembic check` see.

    `only` narrows the comparison to those tables, through the same include hooks Alembic offers. Otherwise,
    with `fast`, the catalog read in bulk rules out the tables that certainly did not change (cold_diff).
    """
    options = compare_options(connection.dialect.name)
    if only is None and fast:
        with without_gc_pauses():  # a full collection over 10,000 tables' catalog rows costs more than reading them
            only = tables_to_compare(connection, desired, options)
    if only is not None:
        options, desired = narrowed(options, desired, only, connection.dialect)
    context = MigrationContext.configure(connection, opts={**options, "target_metadata": desired})
    with warnings.catch_warnings():
        # FK cycles (Sakila's staff <-> store) only stop SQLAlchemy from sorting tables; the diff is unaffected.
        warnings.filterwarnings("ignore", message="Cannot correctly sort tables", category=sa_exc.SAWarning)
        return list(compare_metadata(context, desired))


def group_by_table(changes: Iterable[Change]) -> dict[str | None, list[Change]]:
    """Changes per table, each table's in Alembic's order."""
    groups: dict[str | None, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.table, []).append(change)
    return groups


def canonical_order(groups: Mapping[str | None, Sequence[Change]], desired: MetaData) -> list[Change]:
    """Alembic's order, made stable: created tables, then dropped ones, then altered ones, each by name.

    Alembic walks dropped tables in set order, which varies from process to process, and created ones
    in the order of all of metadata.sorted_tables (quadratic in the tables). Here created tables come in
    dependency order among themselves, then by name; everything else by name, as Alembic's altered ones.
    """
    created, dropped, altered = _by_fate(groups)
    if len(created) > 1:  # a created table follows the created tables it refers to; otherwise by name
        created = _in_dependency_order(created, desired)
    ordered: list[Change] = []
    for table in [*created, *sorted(dropped, key=str), *sorted(altered, key=lambda name: (name is None, name or ""))]:
        ordered.extend(groups[table])
    return ordered


def _by_fate(groups: Mapping[str | None, Sequence[Change]]) -> tuple[list[str | None], ...]:
    """The tables with changes, split into created, dropped and altered."""
    created, dropped, altered = [], [], []
    for table, changes in groups.items():
        kinds = {change.kind for change in changes}
        if "add_table" in kinds:
            created.append(table)
        elif "remove_table" in kinds:
            dropped.append(table)
        elif changes:
            altered.append(table)
    return created, dropped, altered


def _in_dependency_order(created: list[str | None], desired: MetaData) -> list[str | None]:
    """Created tables after the created tables they refer to, then by name."""
    found = (desired.tables.get(name or "") for name in created)
    by_name = {table.name: table for table in found if table is not None}
    ranked = sa.schema.sort_tables([by_name[name] for name in sorted(by_name)])
    position = {table.name: index for index, table in enumerate(ranked)}
    return sorted(created, key=lambda name: (position.get(name or "", len(position)), name or ""))


def changes_of(connection: Connection, raw: Iterable[Any]) -> list[Change]:
    """compare_metadata's output as Change records, before any risk is assessed."""
    return [change_from_diff(item, connection.dialect) for item in flatten(raw)]


def diff(
    source: SchemaSource = None,
    database: str | URL | Engine | Connection | None = None,
    *,
    config: Config | None = None,
    preflight: bool = True,
) -> SchemaDiff:
    """Diff `source` (models by default; or a URL, Engine or revision id) against `database` (a live database).

    The database is opened read-only and never written; a revision id as either side is built in a
    scratch SQLite database. With `preflight`, may-fail risks are checked against the live rows.
    """
    desired = desired_schema(source, config=config)
    with open_database(database, config=config) as connection:
        dialect = connection.dialect
        # A schema read on another backend: its types made renderable here, its changes marked real or dialect.
        desired, pair = across(source, desired, dialect, config)
        ordered = canonical_order(group_by_table(changes_of(connection, compare(connection, desired))), desired)
        live = connection if preflight and not is_snapshot(database) else None  # a snapshot has no rows to count
        if pair is None:
            changes = assess(tuple(ordered), live, connection.dialect.name)
        else:
            changes = assess_across(ordered, live, pair, desired)

    def load_current() -> MetaData:
        with open_database(database, config=config) as connection:
            return reflect(connection)

    return SchemaDiff(
        changes=changes,
        source=describe(source) if source is not None else "models",
        target=describe(database),
        dialect=dialect.name,
        desired=desired,
        _load_current=load_current,
        source_dialect=pair.source.dialect_name if pair is not None else None,
    )
