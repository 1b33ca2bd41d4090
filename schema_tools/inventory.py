"""inventory(): what a schema holds, table by table: columns, keys, relationships and live row counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData

from .changes import fk_target
from .connect import read_only_connection
from .display import escape, html_table, text_table
from .sources import SchemaSource, describe, is_url, reflect


@dataclass(frozen=True)
class TableSummary:
    """One table: its size in columns, its keys, what it points to, and (for a live DB) its rows."""

    name: str
    columns: int
    primary_key: tuple[str, ...]
    references: tuple[str, ...]
    referenced_by: tuple[str, ...]
    indexes: int
    unique: int
    rows: int | None


@dataclass(frozen=True, repr=False)
class Inventory:
    """Every table of a schema, in name order."""

    source: str
    tables: tuple[TableSummary, ...]

    @property
    def relationships(self) -> int:
        return sum(len(table.references) for table in self.tables)

    def _rows(self) -> list[tuple[Any, ...]]:
        return [
            (
                t.name,
                t.columns,
                ", ".join(t.primary_key),
                ", ".join(t.references),
                ", ".join(t.referenced_by),
                t.indexes,
                t.unique,
                "" if t.rows is None else t.rows,
            )
            for t in self.tables
        ]

    _HEADERS = ("table", "columns", "primary key", "references", "referenced by", "indexes", "unique", "rows")

    def headline(self) -> str:
        return f"{self.source}: {len(self.tables)} tables, {self.relationships} foreign keys"

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.headline()}\n{text_table(self._HEADERS, self._rows())}"

    def _repr_html_(self) -> str:
        return html_table(
            self._HEADERS, [[str(v) for v in row] for row in self._rows()], caption=escape(self.headline())
        )


def _summaries(metadata: MetaData, rows: dict[str, int] | None) -> tuple[TableSummary, ...]:
    referenced_by: dict[str, set[str]] = {}
    for table in metadata.tables.values():
        for fk in table.foreign_key_constraints:
            referenced_by.setdefault(fk_target(fk)[0], set()).add(table.name)
    summaries = []
    for name in sorted(metadata.tables):
        table = metadata.tables[name]
        references = sorted(
            {
                fk.elements[0].target_fullname.rsplit(".", 1)[0].rsplit(".", 1)[-1]
                for fk in table.foreign_key_constraints
            }
        )
        unique = sum(isinstance(c, sa.UniqueConstraint) for c in table.constraints) + sum(
            bool(ix.unique) for ix in table.indexes
        )
        summaries.append(
            TableSummary(
                name=name,
                columns=len(table.columns),
                primary_key=tuple(c.name for c in table.primary_key.columns),
                references=tuple(references),
                referenced_by=tuple(sorted(referenced_by.get(name, ()))),
                indexes=sum(not ix.unique for ix in table.indexes),
                unique=unique,
                rows=None if rows is None else rows.get(name, 0),
            )
        )
    return tuple(summaries)


def inventory(source: SchemaSource = None) -> Inventory:
    """Summarise models (a MetaData or "module:attr") or a live database (URL, Engine; read-only, with rows)."""
    if isinstance(source, MetaData) or (isinstance(source, str) and not is_url(source) and ":" in source):
        from .settings import load_metadata

        metadata = load_metadata(source)
        return Inventory(describe(metadata), _summaries(metadata, None))
    with read_only_connection(source) as connection:
        metadata = reflect(connection)
        counts = {
            name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }
    return Inventory(describe(source), _summaries(metadata, counts))
