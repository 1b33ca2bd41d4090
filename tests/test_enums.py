"""Enums on real databases: PostgreSQL types per type, MariaDB ENUM columns, SQLite's enum CHECK, and no noise."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.changes import DATA_LOSS, MAY_FAIL, SAFE
from schema_tools.comparators.enums import check_labels
from schema_tools.dialects import postgresql_enums
from schema_tools.diff import diff
from schema_tools.draft import draft
from tests.support_project import Project

ENUM_KINDS = {"add_enum_type", "remove_enum_type", "rename_enum_type", "add_enum_label", "remove_enum_label",
              "reorder_enum_labels"}  # fmt: skip


def models(labels: tuple[str, ...], *, native: bool = True) -> sa.MetaData:
    """One enum type shared by two tables (PostgreSQL: one CREATE TYPE), and a non-native enum with its CHECK."""
    metadata = sa.MetaData()
    mood = sa.Enum(*labels, name="mood", native_enum=native, create_constraint=True)
    sa.Table("person", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", mood))
    size = sa.Enum("s", "m", "l", name="size", native_enum=False, create_constraint=True)
    sa.Table("pet", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", mood),
             sa.Column("size", size))  # fmt: skip
    return metadata


def _database(new_database, backend: str, labels: tuple[str, ...], rows: list[str]) -> sa.URL:
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    current = models(labels)
    current.create_all(engine)
    with engine.begin() as connection:
        for index, label in enumerate(rows):
            connection.execute(current.tables["person"].insert().values(id=index + 1, mood=label))
    engine.dispose()
    return url


def _pg_labels(url: sa.URL) -> dict[str, tuple[str, ...]]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        found = {name: enum.labels for name, enum in postgresql_enums.named_enums(connection, None).items()}
    engine.dispose()
    return found


def test_the_same_models_give_no_enum_change(backend: str, new_database) -> None:
    url = _database(new_database, backend, ("a", "b", "c"), ["a"])
    assert not [c for c in diff(models(("a", "b", "c")), url) if c.kind in ENUM_KINDS or "enum" in c.reason.lower()]


def test_postgresql_a_label_the_type_lacks_is_added_in_an_autocommit_block(new_database, tmp_path) -> None:
    url = _database(new_database, "postgresql", ("a", "b"), ["a", "b"])
    wanted = models(("a", "b", "c"))
    changes = diff(wanted, url)
    [change] = changes
    assert (change.kind, change.table, change.name, change.risk) == ("add_enum_label", None, "mood", SAFE)
    assert change.columns == ("person.mood", "pet.mood") and change.object_type == "enum type"

    drafted = draft(wanted, url, "mood c")
    assert "with op.get_context().autocommit_block():\n    op.alter_enum_type(" in drafted.upgrade_code

    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()
    engine = sa.create_engine(url, poolclass=NullPool)
    written = command.revision(project.config(connection=engine, target_metadata=wanted), "mood c", autogenerate=True)
    assert written is not None
    command.upgrade(project.config(connection=engine, target_metadata=wanted), "head")
    assert _pg_labels(url)["mood"] == ("a", "b", "c")
    command.check(project.config(connection=engine, target_metadata=wanted))  # alembic check: clean
    with engine.begin() as connection:  # the new label is usable: it was committed
        connection.execute(wanted.tables["pet"].insert().values(id=1, mood="c"))
        connection.execute(sa.delete(wanted.tables["pet"]))
    command.downgrade(project.config(connection=engine, target_metadata=wanted), "base")
    assert _pg_labels(url)["mood"] == ("a", "b")
    engine.dispose()


def test_postgresql_a_removed_label_counts_the_rows_holding_it(new_database) -> None:
    url = _database(new_database, "postgresql", ("a", "b", "c"), ["a", "c", "c"])
    [change] = diff(models(("a", "b")), url)
    assert (change.kind, change.name, change.risk) == ("remove_enum_label", "mood", DATA_LOSS)
    verdict = change.verdicts[0]
    assert (verdict.rule, verdict.count) == ("enum-label-removed", 2) and "'c'" in verdict.message

    [unused] = diff(models(("a", "c")), url)
    assert (unused.kind, unused.risk, unused.verdicts[0].count) == ("remove_enum_label", MAY_FAIL, 0)


def test_postgresql_a_swap_reorders_and_removes_and_keeps_defaults(new_database, tmp_path) -> None:
    url = _database(new_database, "postgresql", ("a", "b", "c"), ["a", "b"])
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE pet ALTER COLUMN mood SET DEFAULT 'b'")
    wanted = models(("b", "a"))
    kinds = {change.kind: change for change in diff(wanted, url)}
    assert set(kinds) >= {"remove_enum_label", "reorder_enum_labels"}
    assert kinds["remove_enum_label"].risk == MAY_FAIL  # no row holds 'c' now; one written meanwhile may
    assert kinds["reorder_enum_labels"].verdicts[0].rule == "enum-labels-reordered"
    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()
    command.revision(project.config(connection=engine, target_metadata=wanted), "swap", autogenerate=True)
    command.upgrade(project.config(connection=engine, target_metadata=wanted), "head")
    assert _pg_labels(url) == {"mood": ("b", "a")}
    command.check(project.config(connection=engine, target_metadata=wanted))
    command.downgrade(project.config(connection=engine, target_metadata=wanted), "base")
    assert _pg_labels(url) == {"mood": ("a", "b", "c")}
    engine.dispose()


def test_postgresql_types_created_dropped_and_renamed(new_database, tmp_path) -> None:
    url = _database(new_database, "postgresql", ("a", "b"), [])
    renamed = sa.MetaData()
    feeling = sa.Enum("a", "b", name="feeling")
    sa.Table("person", renamed, sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", feeling))
    sa.Table("pet", renamed, sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", feeling),
             sa.Column("size", sa.Enum("s", "m", "l", name="size", native_enum=False, create_constraint=True)),
             sa.Column("color", sa.Enum("red", "blue", name="color")))  # fmt: skip
    by_kind = {change.kind: change for change in diff(renamed, url)}
    assert by_kind["rename_enum_type"].before == "mood" and by_kind["rename_enum_type"].after == "feeling"
    assert by_kind["add_enum_type"].name == "color" and by_kind["add_enum_type"].risk == SAFE

    gone = models(("a", "b"))
    for table in gone.tables.values():
        table.c.mood.type = sa.Text()
    by_kind = {change.kind: change for change in diff(gone, url)}
    assert by_kind["remove_enum_type"].risk == SAFE  # the same revision retypes both columns first

    engine = sa.create_engine(url, poolclass=NullPool)
    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()
    command.revision(project.config(connection=engine, target_metadata=renamed), "types", autogenerate=True)
    command.upgrade(project.config(connection=engine, target_metadata=renamed), "head")
    assert _pg_labels(url) == {"feeling": ("a", "b"), "color": ("red", "blue")}
    command.check(project.config(connection=engine, target_metadata=renamed))
    command.downgrade(project.config(connection=engine, target_metadata=renamed), "base")
    assert _pg_labels(url) == {"mood": ("a", "b")}
    engine.dispose()


@pytest.mark.parametrize("backend", ["mysql", "sqlite"])
def test_an_enum_column_label_added_is_safe_and_removed_is_counted(backend: str, new_database, tmp_path) -> None:
    """MariaDB's ENUM and SQLite's CHECK: Alembic's modify_type (ours on SQLite), judged with the live count."""
    url = _database(new_database, backend, ("a", "b", "c"), ["a", "c", "c"])
    added = list(diff(models(("a", "b", "c", "d")), url))
    assert {(c.kind, c.table, c.risk) for c in added} == {("modify_type", t, SAFE) for t in ("person", "pet")}
    removed = [c for c in diff(models(("a", "b")), url) if c.kind == "modify_type"]
    assert {c.table for c in removed} == {"person", "pet"}
    verdicts = {(c.table, v.rule): (c.risk, v.risk, v.count) for c in removed for v in c.verdicts}
    assert verdicts[("person", "enum-label-removed")] == (DATA_LOSS, DATA_LOSS, 2)
    assert verdicts[("pet", "enum-label-removed")][1:] == (MAY_FAIL, 0)
    assert not [c for c in diff(models(("a", "b")), url) if c.kind.endswith("_constraint")], "reported once"

    wanted = models(("a", "b", "c", "d"))
    engine = sa.create_engine(url, poolclass=NullPool)
    project = Project(tmp_path)
    for path in project.versions.glob("*.py"):
        path.unlink()
    command.revision(project.config(connection=engine, target_metadata=wanted), "d", autogenerate=True)
    command.upgrade(project.config(connection=engine, target_metadata=wanted), "head")
    command.check(project.config(connection=engine, target_metadata=wanted))
    with engine.begin() as connection:
        connection.execute(wanted.tables["person"].insert().values(id=9, mood="d"))
    engine.dispose()


@pytest.mark.unit
def test_check_labels_reads_each_backends_spelling() -> None:
    assert check_labels("mood IN ('a', 'b''s')", "mood") == ("a", "b's")
    assert check_labels("`mood` in (_utf8mb4'a',_utf8mb4'b')", "mood") == ("a", "b")
    assert check_labels("((mood)::text = ANY ((ARRAY['a'::character varying])::text[]))", "mood") == ("a",)
    assert check_labels("paid IN ('a')", "id") is None and check_labels("mood > 0", "mood") is None


@pytest.mark.unit
def test_add_values_places_each_label_where_the_models_put_it() -> None:
    preparer = sa.create_engine("postgresql+psycopg://").dialect.identifier_preparer
    statements = postgresql_enums.add_values(preparer, None, "mood", ["b", "d"], ["a", "b", "c", "d", "e"])
    assert statements == [
        "ALTER TYPE mood ADD VALUE 'a' BEFORE 'b'",
        "ALTER TYPE mood ADD VALUE 'c' AFTER 'b'",
        "ALTER TYPE mood ADD VALUE 'e' AFTER 'd'",
    ]
