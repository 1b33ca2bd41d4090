"""SQLAlchemy's SHOW CREATE TABLE parser, remembering the column and table-option lines many tables share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.mysql.reflection import MySQLTableDefinitionParser, ReflectedState


def memo_parser(dialect: Any, caught: list[Any]) -> MySQLTableDefinitionParser:
    """A parser of the dialect's own class that parses each distinct column line once.

    `caught` is the list warnings are recorded into: a line whose parse warned is not remembered, so every table
    holding it warns again (and is compared the slow way).
    """
    base: type[MySQLTableDefinitionParser] = type(dialect._tabledef_parser)

    class MemoParser(base):  # type: ignore[valid-type,misc]
        def __init__(self) -> None:
            super().__init__(dialect, dialect.identifier_preparer)
            self.columns: dict[str, list[dict[str, Any]]] = {}
            self.options: dict[str, dict[str, str]] = {}

        def _parse_column(self, line: str, state: ReflectedState) -> None:
            parsed: list[dict[str, Any]] | None = self.columns.get(line)
            if parsed is None:
                scratch = ReflectedState()
                seen = len(caught)
                super()._parse_column(line, scratch)
                parsed = [dict(column) for column in scratch.columns]
                if len(caught) == seen:
                    self.columns[line] = parsed
            state.columns.extend(_fresh(column) for column in parsed)  # type: ignore[misc]

        def _parse_table_options(self, line: str, state: ReflectedState) -> None:
            options = self.options.get(line)
            if options is None:
                scratch = ReflectedState()
                super()._parse_table_options(line, scratch)
                options = self.options[line] = scratch.table_options
            state.table_options.update(options)

    return MemoParser()


def _fresh(column: dict[str, Any]) -> dict[str, Any]:
    """A copy another table can own: its own dict, type object and computed dict, as reflection gives each table."""
    fresh = dict(column)
    type_ = column["type"]
    clone = type_.__class__.__new__(type_.__class__)
    clone.__dict__.update(type_.__dict__)  # copy.copy's result, without its reduce protocol's cost
    fresh["type"] = clone
    if "computed" in fresh:
        fresh["computed"] = dict(fresh["computed"])
    return fresh
