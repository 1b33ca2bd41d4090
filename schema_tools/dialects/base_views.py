"""Views on any backend: listing them, one spelling of a definition to compare, what they use, their DDL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..sql_literals import LITERAL, outside_literals


@dataclass(frozen=True)
class LiveView:
    """A view as the database reports it: its name, its SELECT (as the database respelled it), its kind."""

    name: str
    definition: str
    materialized: bool = False


# (table, column) a view reads; column None: the table as a whole (SELECT *, count(*), or unknown).
Usage = frozenset[tuple[str, str | None]]

_TOKEN = re.compile(rf"{LITERAL.pattern}|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\w+|::|<>|!=|<=|>=|\|\||\S")
# A cast as PostgreSQL's deparser writes it: ::text, ::character varying(50), ::timestamp without time zone[].
_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_]\w*)(?:\s+(?:varying|precision|with(?:out)?\s+time\s+zone))*"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*",
    re.IGNORECASE,
)
_WORDS = {
    "!=": "<>",
    "[": None,
    "]": None,
    "true": "1",
    "false": "0",
    "inner": None,
    "outer": None,
    "(": None,
    ")": None,
    ";": None,
}


def _unquoted(token: str) -> str:
    """An identifier without its quotes (any backend's), lowercased; a string literal as written."""
    if token.startswith("'"):
        return token
    if token[:1] in '"`' and len(token) > 1:
        return token[1:-1].lower()
    return token.lower()


def _tokens(sql: str) -> list[str]:
    kept: list[str] = []
    for raw in _TOKEN.findall(outside_literals(sql, lambda part: _CAST.sub("", part))):
        token = _WORDS.get(raw.lower(), _unquoted(raw)) if not raw.startswith("'") else raw
        if token is not None:
            kept.append(token)
    return kept


def _respelled(tokens: list[str]) -> list[str]:
    """PostgreSQL's `x = ANY (ARRAY['a', 'b'])` is the `x IN ('a', 'b')` the models wrote; MySQL's count(0) is
    count(*)."""
    out: list[str] = []
    for token in tokens:
        if token == "array" and out[-2:] == ["=", "any"]:
            out[-2:] = ["in"]
        elif token == "*" and out[-1:] == ["count"]:
            out.append("0")
        else:
            out.append(token)
    return out


def _chains(tokens: list[str]) -> list[list[str]]:
    """Tokens grouped into dotted names (`test . bots . id` is one chain of three parts) and single tokens."""
    chains: list[list[str]] = []
    for token in tokens:
        if chains and (token == "." or chains[-1][-1] == "."):
            chains[-1].append(token)
        else:
            chains.append([token])
    return [[part for part in chain if part != "."] for chain in chains]


def _without_qualifiers(tokens: list[str], schemas: Iterable[str]) -> list[str]:
    """Drop schema/database qualifiers, and the table qualifier when only one table is ever named."""
    drop = set(schemas)
    chains = [chain[1:] if len(chain) > 1 and chain[0] in drop else chain for chain in _chains(tokens)]
    tables = {chain[0] for chain in chains if len(chain) == 2}
    if len(tables) <= 1:
        chains = [chain[1:] if len(chain) == 2 else chain for chain in chains]
    return _without_own_aliases([".".join(chain) for chain in chains])


def _without_own_aliases(tokens: list[str]) -> list[str]:
    """`bots.id AS id` (MySQL names every column) is `bots.id`."""
    out: list[str] = []
    for token in tokens:
        if len(out) >= 2 and out[-1] == "as" and out[-2].rsplit(".", 1)[-1] == token:
            out.pop()
            continue
        out.append(token)
    return out


def normalized(sql: str, schemas: Iterable[str] = ()) -> str:
    """One spelling of a SELECT, whichever backend respelled it: what a model's view and a live one compare by.

    Case, quotes, whitespace, parentheses, trailing semicolons and casts go; != is <>, true/false are 1/0,
    INNER/OUTER JOIN is JOIN, = ANY (ARRAY[...]) is IN (...), count(*) is count(0), `t.c AS c` is `t.c`;
    schema and database qualifiers go, and table qualifiers when only one table is named. Two definitions
    that differ only in those read as equal; any other respelling reads as a change (a replace_view, which
    is safe to run).
    """
    return " ".join(_without_qualifiers(_respelled(_tokens(sql)), schemas))


def parsed_usage(definition: str, columns: dict[str, list[str]], schemas: Iterable[str] = ()) -> Usage:
    """The tables and columns a definition names, read from its text (where the catalog does not say).

    A column counts as used when written qualified (`t.c`) or bare while its table is named: a bare name
    another used table also has counts for both, so the answer errs on the side of "used".
    """
    tokens = [t for t in _tokens(definition) if not t.startswith("'")]
    drop = set(schemas)
    names = set(tokens) - drop
    used: set[tuple[str, str | None]] = set()
    for table, table_columns in columns.items():
        if table.lower() not in names:
            continue
        used.add((table, None))
        for column in table_columns:
            if column.lower() in names:
                used.add((table, column))
    return frozenset(used)


class ViewCatalog:
    """How a backend lists its views, reads what they use, and writes their DDL; the base is plain SQL views."""

    # Does the backend have materialized views? Elsewhere a materialized declaration is a plain view.
    materialized: ClassVar[bool] = False
    # Does CREATE OR REPLACE VIEW take any new definition (PostgreSQL's keeps the columns, so it drops first)?
    replaces_in_place: ClassVar[bool] = False
    # What a DROP COLUMN, column retype or DROP TABLE does to a view that reads the object.
    breaks_reader: ClassVar[str] = "fails or leaves the view broken"
    # Does a batch rebuild (copy, drop, rename) of a table fail while any view reads the table?
    rebuild_meets_views: ClassVar[bool] = False

    def schemas(self, connection: Connection) -> tuple[str, ...]:
        """Qualifiers a definition may carry that mean "here": the default schema or database."""
        default = connection.dialect.default_schema_name
        return (default.lower(),) if default else ()

    def select_part(self, definition: str) -> str:
        """The SELECT of what the inspector reports (some backends report the whole CREATE VIEW)."""
        return definition.strip()

    def views(self, connection: Connection) -> dict[str, LiveView]:
        """Every view in the default schema, by name."""
        inspector = sa.inspect(connection)
        return {
            name: LiveView(name, self.select_part(inspector.get_view_definition(name) or ""))
            for name in inspector.get_view_names()
        }

    def usage(self, connection: Connection) -> dict[str, Usage]:
        """What each view reads (tables, their columns, other views), by view name; parsed from the definitions."""
        views = self.views(connection)
        if not views:
            return {}
        inspector, schemas = sa.inspect(connection), self.schemas(connection)
        named = {token for view in views.values() for token in _tokens(view.definition)}
        read = [table for table in inspector.get_table_names() if table.lower() in named]
        columns = {table: [column["name"] for column in inspector.get_columns(table)] for table in read}
        columns.update({name: [] for name in views})  # a view read by another view counts as a whole
        return {name: parsed_usage(view.definition, columns, schemas) for name, view in views.items()}

    def create(self, name: str, sql: str, materialized: bool) -> list[str]:
        """The statements that create a view (`name` quoted already)."""
        kind = "MATERIALIZED VIEW" if materialized and self.materialized else "VIEW"
        return [f"CREATE {kind} {name} AS {sql}"]

    def drop(self, name: str, materialized: bool) -> list[str]:
        kind = "MATERIALIZED VIEW" if materialized and self.materialized else "VIEW"
        return [f"DROP {kind} {name}"]

    def replace(self, name: str, sql: str, materialized: bool, old_materialized: bool) -> list[str]:
        """In place where the backend can (CREATE OR REPLACE VIEW), else drop and create again."""
        plain = not (self.materialized and (materialized or old_materialized))
        if self.replaces_in_place and plain:
            return [f"CREATE OR REPLACE VIEW {name} AS {sql}"]
        return [*self.drop(name, old_materialized), *self.create(name, sql, materialized)]
