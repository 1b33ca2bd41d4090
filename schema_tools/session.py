"""DiffSession: diff the models against one database again and again, comparing only the tables that changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeGuard

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine

from .changes import Change
from .cold_diff import without_gc_pauses
from .config import project_of
from .connect import create_sync_engine, mask_url, read_only_connection
from .dialects import backend_of
from .diff import SchemaDiff, canonical_order, changes_of, compare, group_by_table
from .errors import ConfigurationError
from .fingerprints import Catalog, database_fingerprints, model_fingerprints, supports_fingerprints
from .rules.catalog import assess
from .sources import SchemaSource, describe, desired_schema, is_revision, reflect_source
from .views import VIEWS_KEY

if TYPE_CHECKING:
    from .session_panel import SessionPanel


@dataclass(frozen=True)
class DiffRun:
    """What one DiffSession.diff() did: a full comparison, or which tables it compared again.

    `baseline` is the seconds of the session's last full comparison, to show what narrowing saved. Times
    stay out of repr(), so a notebook's stored text is the same from run to run.
    """

    full: bool
    compared: tuple[str, ...]
    reused: int
    seconds: float = field(repr=False)
    baseline: float | None = field(default=None, repr=False)

    def __str__(self) -> str:
        if self.full:
            return f"full comparison of {len(self.compared)} tables in {self.seconds:.3f} s"
        names = ", ".join(self.compared[:5]) + (", ..." if len(self.compared) > 5 else "")
        return (
            f"compared {len(self.compared)} changed table{'s' if len(self.compared) != 1 else ''}"
            f"{f' ({names})' if names else ''}, reused {self.reused}, in {self.seconds:.3f} s"
        )

    def _repr_html_(self) -> str:
        from .session_display import diff_run_html

        return diff_run_html(self)


@dataclass
class _Cache:
    models: dict[str, Any]
    database: dict[str, str]
    changes: dict[str | None, list[Change]]  # assessed, per table: only tables with changes
    token: str | None = None


class DiffSession:
    """Re-diffs the models against one live database, as a notebook does after each edit of a model.

    The first diff is a full compare_metadata. Later ones fingerprint every table on both sides (one
    catalog query, one walk over the models) and send only tables whose fingerprint moved through
    compare_metadata; the rest come from the previous result. A change made by any process shows in
    the catalog, so it invalidates what it touches. The result equals a full diff() in every change.

    Risk: live-data checks (row counts, NULLs, duplicates) run for the tables compared in this run;
    a reused table keeps its risk from when it was last compared. refresh=True compares everything.
    """

    def __init__(
        self,
        database: str | URL | Engine | None = None,
        source: SchemaSource = None,
        *,
        config: Config | None = None,
        preflight: bool = True,
    ) -> None:
        if isinstance(database, Connection) or is_revision(database):
            raise ConfigurationError(
                "DiffSession needs a database URL or Engine it can reopen: for a connection or a revision, use diff()"
            )
        self._owns_engine = not isinstance(database, Engine)
        self._engine = (
            database
            if isinstance(database, Engine)
            else create_sync_engine(project_of(config).database_url(database), read_only=True, keep_open=True)
        )
        self._source = source
        self._config = config
        self._preflight = preflight
        self._cache: _Cache | None = None
        self._memo: dict[int, Any] = {}
        self.on_diff: list[Callable[[SchemaDiff], object]] = []  # called with each diff (session.panel() listens)
        self._full_seconds: float | None = None
        self.last_run = None

    @property
    def engine(self) -> Engine:
        """The engine the session reads through (opened read-only when the session was given a URL)."""
        return self._engine

    @property
    def last_run(self) -> DiffRun | None:
        """What the latest diff() did, with the last full comparison's seconds as its baseline."""
        return self._last_run

    @last_run.setter
    def last_run(self, run: DiffRun | None) -> None:
        if run is not None and run.full:
            self._full_seconds = run.seconds
        self._last_run = run if run is None or run.baseline is not None else replace(run, baseline=self._full_seconds)

    def __repr__(self) -> str:
        return f"<DiffSession {mask_url(self._engine.url)}: {_untimed(self.last_run)}>"

    def _repr_html_(self) -> str:
        from .session_display import session_html

        return session_html(describe(self._engine), self.last_run)

    def __enter__(self) -> DiffSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the session's connection; the cache goes with it."""
        self._cache = None
        if self._owns_engine:
            self._engine.dispose()

    def diff(self, source: SchemaSource = None, *, refresh: bool = False) -> SchemaDiff:
        """The diff of `source` (the session's models by default) against the database, reusing what it can."""
        with without_gc_pauses():
            result = self._diff(source, refresh=refresh)
        for listener in tuple(self.on_diff):
            listener(result)
        return result

    def panel(self) -> SessionPanel:
        """A live panel (a widget) of this session's diffs: changes, tables compared or reused, and the time."""
        from .session_panel import SessionPanel

        return SessionPanel(self)

    def _diff(self, source: SchemaSource, *, refresh: bool) -> SchemaDiff:
        started = time.perf_counter()
        wanted = source if source is not None else self._source
        desired = desired_schema(wanted, config=self._config)
        with read_only_connection(self._engine) as connection:
            dialect = connection.dialect
            cache = self._cache
            token = cache.token if cache is not None and not refresh else None
            models, catalog = self._fingerprints(connection, desired, token)
            database = catalog.tables if catalog.tables is not None else cache.database if cache is not None else {}
            if refresh or not self._reusable(cache, desired, dialect):
                raw = compare(connection, desired)
                cache = _Cache(models, database, {})
                compared, full = set(models) | set(database), True
            else:
                compared, full = self._moved(cache, models, database), False
                raw = self._compare_only(connection, desired, compared, catalog.ddl)
            fresh = assess(
                tuple(changes_of(connection, raw)),
                connection if self._preflight else None,
                connection.dialect.name,
                live_tables=database,  # this connection's catalog, read (or found unmoved) just now
            )
        # Commit to the cache only once everything above has succeeded.
        live = set(models) | set(database)
        kept: dict[str | None, list[Change]] = {
            table: found for table, found in cache.changes.items() if table not in compared and table in live
        }
        self._cache = _Cache(models, database, {**kept, **group_by_table(fresh)}, catalog.token)
        self.last_run = DiffRun(
            full=full,
            compared=tuple(sorted(str(table) for table in compared)),
            reused=len(live - compared),
            seconds=time.perf_counter() - started,
        )
        engine = self._engine
        return SchemaDiff(
            changes=tuple(canonical_order(dict[str | None, Sequence[Change]](self._cache.changes), desired)),
            source=describe(wanted) if wanted is not None else "models",
            target=describe(engine),
            dialect=dialect.name,
            desired=desired,
            _load_current=lambda: reflect_source(engine),
        )

    def _fingerprints(
        self, connection: Connection, desired: MetaData, token: str | None
    ) -> tuple[dict[str, Any], Catalog]:
        """Both sides' table fingerprints; no catalog (an empty one) where the backend has no fingerprint query."""
        dialect = connection.dialect
        if not supports_fingerprints(dialect):
            return model_fingerprints(desired, dialect, self._memo), Catalog({})
        # The catalog query waits on the server while the models are walked here: overlap them.
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending = worker.submit(database_fingerprints, connection, token)
            models = model_fingerprints(desired, dialect, self._memo)
            return models, pending.result()

    @staticmethod
    def _moved(cache: _Cache, models: dict[str, Any], database: dict[str, str]) -> set[str]:
        """Tables whose fingerprint changed, appeared or went away on either side since the cached result."""
        return {
            table
            for table in set(models) | set(database) | set(cache.models) | set(cache.database)
            if models.get(table) != cache.models.get(table) or database.get(table) != cache.database.get(table)
        }

    def _reusable(self, cache: _Cache | None, desired: MetaData, dialect: sa.Dialect) -> TypeGuard[_Cache]:
        """Whether the cached result may be narrowed to the tables that moved (else everything is compared)."""
        return cache is not None and None not in cache.changes and self._can_narrow(desired, dialect)

    @staticmethod
    def _can_narrow(desired: MetaData, dialect: sa.Dialect) -> bool:
        # Tables in other schemas are outside the catalog query's view, and a change Alembic ties to no
        # table cannot be narrowed to one: compare those in full.
        # Views are not in the table fingerprints either (schema_tools.views): a model with views compares in full.
        in_default_schema = all(table.schema is None for table in desired.tables.values())
        return supports_fingerprints(dialect) and in_default_schema and not desired.info.get(VIEWS_KEY)

    @staticmethod
    def _compare_only(
        connection: Connection, desired: MetaData, tables: set[str], ddl: dict[str, list[tuple[str, str]]]
    ) -> list[Any]:
        if not tables:
            return []
        with backend_of(connection).catalog_replica(ddl, tables) as replica:
            if replica is not None:
                return compare(replica, desired, only=tables)
        return compare(connection, desired, only=tables)


def _untimed(run: DiffRun | None) -> str:
    """A run in words without its seconds (they change from run to run)."""
    if run is None:
        return "not run yet"
    return str(run).rsplit(" in ", 1)[0].rstrip(", ")
