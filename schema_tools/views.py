"""Views declared beside the models: view(metadata, name, select(...)) records one in metadata.info.

The declarations travel with the MetaData (no global state), so every tool that is handed the models
(alembic autogenerate and check, diff(), draft()) compares them with the database's views:

    from schema_tools.views import view
    view(Base.metadata, "active_bots", select(Bot.id, Bot.name).where(Bot.active.is_(True)))

A view's SQL is its select() compiled for the database's dialect with literal values. Only declared views
are compared: a view the database has and the models do not declare is left alone, unless the models say
they declare every view (`views_complete(metadata)`); then it is reported as remove_view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ClauseElement

from . import view_ops as _view_ops  # registers op.create_view, op.drop_view and op.replace_view

__all__ = [
    "COMPLETE_KEY",
    "VIEWS_KEY",
    "ViewDefinition",
    "declared_views",
    "declares_every_view",
    "view",
    "views_complete",
]

VIEWS_KEY = "schema_tools.views"
COMPLETE_KEY = "schema_tools.views_complete"


@dataclass(frozen=True)
class ViewDefinition:
    """A view the models declare: its name, its query (a select() or SQL text), and whether it is materialized.

    materialized=True makes a PostgreSQL materialized view (filled when created; REFRESH MATERIALIZED VIEW
    renews it); SQLite and MySQL/MariaDB have none, so there it is a plain view.
    """

    name: str
    selectable: ClauseElement | str
    materialized: bool = False

    def sql(self, dialect: Dialect) -> str:
        """The query as `dialect` spells it, values inlined: what CREATE VIEW ... AS is given."""
        if isinstance(self.selectable, str):
            return self.selectable.strip()
        compiled = self.selectable.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        return _view_ops.one_line(str(compiled))


def view(
    metadata: MetaData, name: str, selectable: ClauseElement | str, *, materialized: bool = False
) -> ViewDefinition:
    """Declare view `name` as `selectable` in `metadata`; declaring a name again replaces its definition."""
    definition = ViewDefinition(name, selectable, materialized)
    declared: dict[str, ViewDefinition] = metadata.info.setdefault(VIEWS_KEY, {})
    declared[name] = definition
    return definition


def views_complete(metadata: MetaData, complete: bool = True) -> None:
    """Say the models declare every view, so a view only the database has is reported (remove_view)."""
    metadata.info[COMPLETE_KEY] = complete


def _metadatas(metadata: MetaData | Iterable[MetaData] | None) -> list[MetaData]:
    if metadata is None:
        return []
    return [metadata] if isinstance(metadata, MetaData) else list(metadata)


def declared_views(metadata: MetaData | Iterable[MetaData] | None) -> dict[str, ViewDefinition]:
    """The views one MetaData (or autogenerate's list of them) declares, by name."""
    found: dict[str, ViewDefinition] = {}
    for each in _metadatas(metadata):
        found.update(each.info.get(VIEWS_KEY, {}))
    return found


def declares_every_view(metadata: MetaData | Iterable[MetaData] | None) -> bool:
    """Did the models opt in to having views they do not declare reported?"""
    return any(bool(each.info.get(COMPLETE_KEY)) for each in _metadatas(metadata))
