"""The benchmark's synthetic schema: the diff it times finds exactly its 8 changes, as Alembic does."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bench.schema import build, with_changes
from schema_tools.changes import flatten
from schema_tools.connect import read_only_connection
from schema_tools.diff import compare, diff


def test_the_synthetic_schema_has_eight_pending_changes_on_every_backend(db_url: sa.URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    build(40).create_all(engine)
    engine.dispose()
    desired = with_changes(40)
    result = diff(desired, db_url)
    with read_only_connection(db_url) as connection:
        raw = list(flatten(compare(connection, desired)))
    assert len(result) == len(raw)
    expected = {"add_column", "modify_type", "modify_nullable", "add_index", "add_table"}
    if db_url.get_backend_name() != "sqlite":
        expected.add("modify_comment")
    assert {c.kind for c in result} == expected
    assert len(result) == (8 if db_url.get_backend_name() != "sqlite" else 7)  # SQLite has no comments
    assert all(len(t.columns) in (7, 8, 9) for t in build(40).tables.values())
