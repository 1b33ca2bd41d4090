"""The fast cold diff: the same changes as compare_metadata, forced on and off, and every change still seen."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from schema_tools.cold_diff import forced, tables_to_compare
from schema_tools.diff import diff
from schema_tools.settings import compare_options
from schema_tools.sources import reflect_source
from tests.support_scenarios import SCENARIOS, Scenario, base_database
from tests.test_zero_noise import SAMPLE_NAMES, creatable, every_generic_type, load_sample


def both_ways(desired: sa.MetaData, url: URL) -> list[object]:
    """diff() with the fast path forced on and forced off: they must agree change for change."""
    with forced(True):
        fast = list(diff(desired, url, preflight=False))
    with forced(False):
        slow = list(diff(desired, url, preflight=False))
    assert fast == slow
    return fast


def to_compare(desired: sa.MetaData, url: URL) -> frozenset[str] | None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with forced(True), engine.connect() as connection:
            return tables_to_compare(connection, desired, compare_options(connection.dialect.name))
    finally:
        engine.dispose()


def relations(metadata: sa.MetaData | None = None) -> sa.MetaData:
    """Keys, indexes and constraints of every common shape, beside every generic type."""
    metadata = metadata or every_generic_type()
    sa.Table(
        "account",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("handle", sa.String(40), nullable=False),
        sa.Column("region", sa.String(10), nullable=False, server_default="eu"),
        sa.Column("score", sa.Numeric(8, 2), nullable=True, comment="points"),
        sa.UniqueConstraint("handle", "region", name="uq_account_handle_region"),
        sa.Index("ix_account_region_score", "region", "score"),
        comment="people",
    )
    sa.Table(
        "membership",
        metadata,
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("team", sa.String(30), primary_key=True),
        sa.Column("parent_account", sa.Integer, nullable=True),
        sa.Column("parent_team", sa.String(30), nullable=True),
        sa.Column("since", sa.Date, nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_account", "parent_team"], ["membership.account_id", "membership.team"], name="fk_membership_parent"
        ),
        sa.Index("ix_membership_since", "since", unique=False),
    )
    sa.Table("untouched", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(20)))
    return metadata


def _column_type(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.handle.type = sa.String(41)


def _type_class(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.handle.type = sa.Text()


def _nullable(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.score.nullable = False


def _default_changed(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.region.server_default = sa.DefaultClause("us")


def _default_dropped(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.region.server_default = None


def _default_added(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.score.server_default = sa.DefaultClause("0")


def _column_comment(metadata: sa.MetaData) -> None:
    metadata.tables["account"].c.score.comment = "other points"


def _table_comment(metadata: sa.MetaData) -> None:
    metadata.tables["account"].comment = "someone"


def _column_added(metadata: sa.MetaData) -> None:
    metadata.tables["account"].append_column(sa.Column("extra", sa.Integer, nullable=True))


def _column_dropped(metadata: sa.MetaData) -> None:
    table = metadata.tables["account"]
    table._columns.remove(table.c.score)  # noqa: SLF001 - the models as if the column were deleted
    for index in list(table.indexes):
        if "score" in index.columns:
            table.indexes.remove(index)


def _index_added(metadata: sa.MetaData) -> None:
    sa.Index("ix_account_handle", metadata.tables["account"].c.handle)


def _index_dropped(metadata: sa.MetaData) -> None:
    table = metadata.tables["membership"]
    table.indexes = {index for index in table.indexes if index.name != "ix_membership_since"}


def _index_made_unique(metadata: sa.MetaData) -> None:
    table = metadata.tables["membership"]
    table.indexes = {index for index in table.indexes if index.name != "ix_membership_since"}
    sa.Index("ix_membership_since", table.c.since, unique=True)


def _index_columns(metadata: sa.MetaData) -> None:
    table = metadata.tables["account"]
    table.indexes = {index for index in table.indexes if index.name != "ix_account_region_score"}
    sa.Index("ix_account_region_score", table.c.score, table.c.region)


def _unique_added(metadata: sa.MetaData) -> None:
    metadata.tables["membership"].append_constraint(sa.UniqueConstraint("since", name="uq_membership_since"))


def _unique_dropped(metadata: sa.MetaData) -> None:
    table = metadata.tables["account"]
    table.constraints = {c for c in table.constraints if getattr(c, "name", None) != "uq_account_handle_region"}


def _fk_option(metadata: sa.MetaData) -> None:
    table = metadata.tables["membership"]
    table.constraints = {c for c in table.constraints if not isinstance(c, sa.ForeignKeyConstraint) or c.name}
    table.append_constraint(sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="SET NULL"))


def _fk_dropped(metadata: sa.MetaData) -> None:
    table = metadata.tables["membership"]
    table.constraints = {c for c in table.constraints if getattr(c, "name", None) != "fk_membership_parent"}


def _check_added(metadata: sa.MetaData) -> None:
    metadata.tables["account"].append_constraint(sa.CheckConstraint("score >= 0", name="ck_account_score"))


def _identity_added(metadata: sa.MetaData) -> None:
    table = metadata.tables["account"]
    table.append_column(sa.Column("id", sa.Integer, sa.Identity(), primary_key=True), replace_existing=True)


def _autoincrement_off(metadata: sa.MetaData) -> None:
    table = metadata.tables["account"]
    table.append_column(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), replace_existing=True)


def _table_added(metadata: sa.MetaData) -> None:
    sa.Table("brand_new", metadata, sa.Column("id", sa.Integer, primary_key=True))


MUTATIONS: dict[str, tuple[Callable[[sa.MetaData], None], str]] = {
    "type length": (_column_type, "account"),
    "type class": (_type_class, "account"),
    "nullable": (_nullable, "account"),
    "default changed": (_default_changed, "account"),
    "default dropped": (_default_dropped, "account"),
    "default added": (_default_added, "account"),
    "column comment": (_column_comment, "account"),
    "table comment": (_table_comment, "account"),
    "column added": (_column_added, "account"),
    "column dropped": (_column_dropped, "account"),
    "index added": (_index_added, "account"),
    "index dropped": (_index_dropped, "membership"),
    "index made unique": (_index_made_unique, "membership"),
    "index columns": (_index_columns, "account"),
    "unique added": (_unique_added, "membership"),
    "unique dropped": (_unique_dropped, "account"),
    "foreign key option": (_fk_option, "membership"),
    "foreign key dropped": (_fk_dropped, "membership"),
    "check added": (_check_added, "account"),
    "table added": (_table_added, "brand_new"),
    "identity added": (_identity_added, "account"),
    "autoincrement off": (_autoincrement_off, "account"),
}


def test_every_kind_of_change_sends_its_table_to_compare_metadata(db_url: URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    relations().create_all(engine)
    engine.dispose()
    assert both_ways(relations(), db_url) == []
    unchanged = to_compare(relations(), db_url)
    assert unchanged is not None, "this backend reads its catalog in bulk"
    assert {"account", "membership", "untouched"}.isdisjoint(unchanged)
    seen = set()
    for name, (mutate, table) in MUTATIONS.items():
        desired = relations()
        mutate(desired)
        compared = to_compare(desired, db_url)
        assert compared is not None and "untouched" not in compared, name
        changed = {change.table for change in both_ways(desired, db_url)}  # type: ignore[attr-defined]
        # Soundness: every table compare_metadata finds a change in was sent to it.
        assert changed <= compared, name
        if table in changed:
            seen.add(name)
    # Only comments go unseen where the backend has none (SQLite: Alembic does not compare them), and the
    # key's numbering where the backend has no way to tell it (SQLite, PostgreSQL's SERIAL without IDENTITY).
    unseen = set(MUTATIONS) - seen - {"identity added", "autoincrement off"}
    assert unseen <= ({"column comment", "table comment"} if db_url.get_backend_name() == "sqlite" else set())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_diff_scenarios_agree_fast_and_slow(scenario: Scenario, backend: str, new_database) -> None:
    url = base_database(scenario, backend, new_database)
    found = both_ways(scenario.desired(), url)
    assert scenario.expected_kinds <= {change.kind for change in found}  # type: ignore[attr-defined]
    compared = to_compare(scenario.desired(), url)
    assert compared is not None
    assert len(compared) < len(scenario.desired().tables | {"select": None}), "something was ruled out"


def test_an_enum_only_unchanged_tables_use_is_not_dropped(backend: str, new_database) -> None:
    url = new_database(backend)
    metadata = sa.MetaData()
    mood = sa.Enum("happy", "sad", name="mood")
    sa.Table("calm", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("mood", mood))
    sa.Table("busy", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    engine.dispose()
    metadata.tables["busy"].append_column(sa.Column("extra", sa.Integer))
    found = both_ways(metadata, url)
    assert [change.kind for change in found] == ["add_column"]  # type: ignore[attr-defined]


def test_a_plugin_the_fast_path_does_not_know_turns_it_off(db_url: URL) -> None:
    from alembic.autogenerate.compare import comparators  # noqa: F401  (Alembic's own register first)
    from alembic.util import DispatchPriority

    from schema_tools.comparators.registration import new_plugin

    engine = sa.create_engine(db_url, poolclass=NullPool)
    relations().create_all(engine)
    engine.dispose()
    plugin = new_plugin("tests.cold_diff.unknown_table_comparator")
    if plugin is not None:

        def look_at_something_else(*_args: object) -> None:
            return None

        plugin.add_autogenerate_comparator(look_at_something_else, "table", "tests", priority=DispatchPriority.LAST)
    options = {**compare_options(engine.dialect.name)}
    options["autogenerate_plugins"] = [*options["autogenerate_plugins"], "tests.cold_diff.unknown_table_comparator"]
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with forced(True), engine.connect() as connection:
        assert tables_to_compare(connection, relations(), options) is None
    engine.dispose()


def test_forced_off_compares_everything(db_url: URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    relations().create_all(engine)
    with forced(False), engine.connect() as connection:
        assert tables_to_compare(connection, relations(), compare_options(connection.dialect.name)) is None
    engine.dispose()


@pytest.mark.skipif(not SAMPLE_NAMES, reason="shared sample databases not found")
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_databases_agree_fast_and_slow(name: str, backend: str, new_database) -> None:
    source_url = load_sample(name, new_database)
    target = new_database(backend)
    engine = sa.create_engine(target, poolclass=NullPool)
    models = creatable(reflect_source(source_url), source_url.get_backend_name(), engine.dialect)
    models.create_all(engine)
    engine.dispose()
    assert both_ways(models, target) == []
    # The source database against its own reflection.
    assert both_ways(reflect_source(source_url), source_url) == []


STOCK_CONFIGURE = "context.configure(\n            connection=connection, target_metadata=target_metadata\n        )"
FAST_CONFIGURE = (
    "context.configure(\n            connection=connection, target_metadata=target_metadata,\n"
    "            **fast_autogenerate(connection, target_metadata, compare_server_default=True),\n        )"
)


def test_a_stock_env_py_with_fast_autogenerate_writes_the_same_revision(db_url: URL, tmp_path) -> None:
    """`alembic init`'s env.py, with the one documented line added: the same revision, fast or not."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(db_url, poolclass=NullPool)
    relations().create_all(engine)
    engine.dispose()
    command.init(Config(str(tmp_path / "alembic.ini")), str(tmp_path / "migrations"))
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text()
    assert STOCK_CONFIGURE in text, "alembic's template changed: update this test's anchor"
    models = "from schema_tools import fast_autogenerate\nfrom tests.test_cold_diff import _fk_option, relations\n"
    models += "target_metadata = relations()\n_fk_option(target_metadata)"
    text = text.replace(STOCK_CONFIGURE, FAST_CONFIGURE).replace("target_metadata = None", models)
    env.write_text(text)
    written = {}
    for fast in (True, False):
        config = Config(str(tmp_path / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", db_url.render_as_string(hide_password=False))
        with forced(fast):
            script = command.revision(config, message=f"fast {fast}", autogenerate=True, rev_id=f"r{int(fast)}")
        body = Path(script.path).read_text()  # type: ignore[union-attr]
        written[fast] = body[body.index("def upgrade()") :]
        Path(script.path).unlink()  # type: ignore[union-attr]
    assert written[True] == written[False]
    # The stock options (no schema-tools plugins) report the dialect noise Alembic reports: the same both ways.
    assert "create_foreign_key(None, 'membership'" in written[True]


def test_fast_autogenerate_hooks_skip_only_unchanged_tables_and_keep_the_users_filter(db_url: URL) -> None:
    from schema_tools import fast_autogenerate

    engine = sa.create_engine(db_url, poolclass=NullPool)
    relations().create_all(engine)
    desired = relations()
    _fk_option(desired)
    with engine.connect() as connection:
        hooks = fast_autogenerate(
            connection, desired, include_object=lambda obj, name, type_, reflected, other: name != "account"
        )
        assert hooks["include_name"]("untouched", "table", {}) is False
        assert hooks["include_name"]("membership", "table", {}) is True
        untouched, membership = desired.tables["untouched"], desired.tables["membership"]
        assert hooks["include_object"](untouched, "untouched", "table", False, None) is False
        assert hooks["include_object"](membership, "membership", "table", False, None) is True
        assert hooks["include_object"](desired.tables["account"], "account", "table", False, None) is False
    engine.dispose()


def test_a_schema_without_drift_costs_the_same_statements_at_any_size(backend: str, new_database) -> None:
    """Nothing changed: no table is reflected one by one (Alembic reads an empty filter as "every table")."""
    from bench.schema import build

    counts = []
    for n in (20, 60):
        url = new_database(backend)
        engine = sa.create_engine(url, poolclass=NullPool)
        build(n).create_all(engine)
        statements = [0]

        def count(*_: object, seen: list[int] = statements) -> None:
            seen[0] += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        with forced(True):
            assert list(diff(build(n), engine, preflight=False)) == []
        counts.append(statements[0])
        engine.dispose()
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (sa.String(1), sa.String(True)),  # equal and hashing alike in Python, but different attributes
        (sa.Numeric(10, 2), sa.Numeric(10.0, 2)),
        (sa.Enum("1", "2", name="e"), sa.Enum("1", "2", "3", name="e")),
    ],
    ids=["int-bool", "int-float", "labels"],
)
def test_the_column_judges_type_keys_tell_equal_looking_attributes_apart(one, other) -> None:
    # A verdict is kept per key: two types with one key would share a verdict Alembic may not give them.
    from schema_tools.cold_columns import _type_key

    assert _type_key(one) != _type_key(other)
    assert _type_key(one) == _type_key(copy.copy(one))
