"""Model fingerprints: the same models give the same fingerprint, and any change Alembic compares changes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schema_tools.fingerprints import model_fingerprints

pytestmark = pytest.mark.unit

DIALECT = postgresql.dialect()


def models(
    name_type: Any = None,
    *,
    extra_column: bool = False,
    index_columns: tuple[str, ...] = ("name",),
    default: str | None = None,
    owner_target: str = "users.id",
    nullable: bool = True,
    comment: str | None = None,
    convention: dict[str, str] | None = None,
) -> sa.MetaData:
    """users and bots; each keyword changes one thing about bots."""
    metadata = sa.MetaData(naming_convention=convention) if convention else sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(80)))
    sa.Table("teams", metadata, sa.Column("id", sa.Integer, primary_key=True))
    columns: list[Any] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", name_type if name_type is not None else sa.String(40), nullable=nullable, comment=comment),
        sa.Column("owner_id", sa.ForeignKey(owner_target)),
        sa.Column("region", sa.String(8), server_default=default),
    ]
    if extra_column:
        columns.append(sa.Column("size", sa.Integer))
    bots = sa.Table("bots", metadata, *columns)
    sa.Index("ix_bots", *(bots.c[name] for name in index_columns))
    sa.Table("alembic_version", metadata, sa.Column("version_num", sa.String(32), primary_key=True))
    return metadata


def test_fingerprints_cover_every_table_but_the_bookkeeping_ones() -> None:
    assert set(model_fingerprints(models(), DIALECT)) == {"users", "teams", "bots"}


def test_the_same_models_declared_twice_have_the_same_fingerprints() -> None:
    assert model_fingerprints(models(), DIALECT) == model_fingerprints(models(), DIALECT)


def test_a_fingerprint_is_the_same_with_or_without_a_memo() -> None:
    metadata, memo = models(), {}
    first = model_fingerprints(metadata, DIALECT, memo)
    assert model_fingerprints(metadata, DIALECT, memo) == first == model_fingerprints(metadata, DIALECT)


@pytest.mark.parametrize(
    "changed",
    [
        lambda: models(sa.String(41)),
        lambda: models(sa.Text()),
        lambda: models(extra_column=True),
        lambda: models(index_columns=("name", "region")),
        lambda: models(default="eu"),
        lambda: models(owner_target="teams.id"),
        lambda: models(nullable=False),
        lambda: models(comment="shown name"),
    ],
    ids=["length", "type", "column", "index", "default", "foreign-key-target", "nullable", "comment"],
)
def test_a_change_to_one_table_changes_its_fingerprint_and_no_other(changed: Callable[[], sa.MetaData]) -> None:
    before, after = model_fingerprints(models(), DIALECT), model_fingerprints(changed(), DIALECT)
    assert before["bots"] != after["bots"]
    assert before["users"] == after["users"] and before["teams"] == after["teams"]


def test_an_in_place_type_edit_shows_up_even_with_the_memo_of_the_old_state() -> None:
    metadata, memo = models(), {}
    before = model_fingerprints(metadata, DIALECT, memo)
    name_type = metadata.tables["bots"].c.name.type
    assert isinstance(name_type, sa.String)
    name_type.length = 99  # the same type object, edited: a memo keyed by identity alone would miss it
    assert model_fingerprints(metadata, DIALECT, memo)["bots"] != before["bots"]


def test_a_dropped_index_shows_up_on_the_same_metadata() -> None:
    metadata = models()
    before = model_fingerprints(metadata, DIALECT)
    bots = metadata.tables["bots"]
    bots.indexes.discard(next(iter(bots.indexes)))
    assert model_fingerprints(metadata, DIALECT)["bots"] != before["bots"]


def test_a_new_naming_convention_changes_every_table() -> None:
    before = model_fingerprints(models(), DIALECT)
    after = model_fingerprints(models(convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}), DIALECT)
    assert all(before[table] != after[table] for table in before)


def test_a_type_the_dialects_render_differently_fingerprints_per_dialect() -> None:
    metadata = sa.MetaData()
    sa.Table("tokens", metadata, sa.Column("id", sa.Uuid, primary_key=True))
    assert model_fingerprints(metadata, DIALECT) != model_fingerprints(metadata, sqlite.dialect())


def test_a_type_the_dialect_cannot_render_still_gets_a_fingerprint_that_changes() -> None:
    def with_array(item: Any) -> sa.MetaData:
        metadata = sa.MetaData()
        sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("t", sa.ARRAY(item)))
        return metadata

    on_sqlite = sqlite.dialect()
    assert model_fingerprints(with_array(sa.Integer), on_sqlite) == model_fingerprints(
        with_array(sa.Integer), on_sqlite
    )
    assert model_fingerprints(with_array(sa.Integer), on_sqlite) != model_fingerprints(with_array(sa.Text), on_sqlite)
