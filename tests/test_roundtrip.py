"""The roundtrip lab and the history graph: real revisions, broken ones, irreversible and empty downgrades,
seeded rows that every backend accepts, and real apps' histories."""

from __future__ import annotations

import datetime as dt
import enum
import importlib.util
import json
import textwrap
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.pool import NullPool

from schema_tools.cli import main
from schema_tools.config import alembic_config
from schema_tools.history import heads, history, merge
from schema_tools.roundtrip import FAILED, IRREVERSIBLE, NOOP_DOWNGRADE, OK, roundtrip
from schema_tools.runner import migrate
from schema_tools.scratch import upgraded_database
from schema_tools.seeding import seed_tables
from tests.support_project import ALL_REVISIONS, HEAD, Project


def test_the_repository_history_round_trips_on_every_backend(backend: str, new_database) -> None:
    url = new_database(backend)
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        tables_before = set(sa.inspect(connection).get_table_names())
    report = roundtrip(url)
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == tables_before, "the source itself is never touched"
    engine.dispose()
    assert report.ok, str(report)
    assert [s.revision for s in report.steps] == list(ALL_REVISIONS)
    assert all(s.schema_restored and s.rows_kept for s in report.steps)


def test_a_downgrade_that_leaves_a_column_behind_is_caught(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "a9a9a9a9a9a9", HEAD, 'op.add_column("bots", sa.Column("forgotten", sa.String(10)))', downgrade="pass"
    )
    report = roundtrip(config=project.config())
    last = report.steps[-1]
    assert last.revision == "a9a9a9a9a9a9" and last.status == NOOP_DOWNGRADE  # its downgrade is `pass`
    assert last.schema_restored is False and "bots.forgotten left behind" in last.detail
    assert all(s.status == OK for s in report.steps[:-1])
    assert not report.ok


def test_an_irreversible_downgrade_is_reported_not_raised(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision(
        "b8b8b8b8b8b8", HEAD, "op.execute(\"UPDATE users SET full_name = 'x'\")",
        downgrade='raise NotImplementedError("the old names are gone")',
    )  # fmt: skip
    report = roundtrip(config=project.config())
    assert report.steps[-1].status == IRREVERSIBLE
    assert "irreversible" in str(report)


def test_a_history_with_two_branches_and_a_merge_round_trips(tmp_path: Path) -> None:
    project = Project(tmp_path)
    side = 'op.create_table("side", sa.Column("id", sa.Integer, primary_key=True))'
    project.add_revision("c1c1c1c1c1c1", "2aefc3d92de3", side, downgrade='op.drop_table("side")')  # beside HEAD
    project.add_revision("d1d1d1d1d1d1", ("c1c1c1c1c1c1", HEAD), "pass", downgrade="pass")  # merges both
    report = roundtrip(config=project.config())
    assert report.ok, str(report)
    assert [s.revision for s in report.steps][-1] == "d1d1d1d1d1d1"
    assert {s.revision for s in report.steps} == {*ALL_REVISIONS, "c1c1c1c1c1c1", "d1d1d1d1d1d1"}


def test_a_sqlite_source_is_never_written(tmp_path: Path) -> None:
    url = upgraded_database()
    path = Path(sa.make_url(url).database)
    before = path.read_bytes()
    assert roundtrip(url).ok
    assert path.read_bytes() == before


def test_cli_roundtrip_exit_codes(tmp_path: Path, capsys) -> None:
    assert main(["roundtrip"]) == 0
    assert "all revisions round-trip" in capsys.readouterr().out
    project = Project(tmp_path)
    project.add_revision("a9a9a9a9a9a9", HEAD, 'op.add_column("bots", sa.Column("forgotten", sa.String(10)))')
    assert main(["roundtrip", "--config", str(project.root / "alembic.ini")]) == 1


def test_history_marks_heads_current_branch_points_and_merges(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_revision("c1c1c1c1c1c1", "2aefc3d92de3", "pass")  # a second head branching off 2aefc3d92de3
    url = upgraded_database("55221d9084c8")
    graph = history(url, config=project.config())
    by_id = {node.revision: node for node in graph.nodes}
    assert set(graph.heads) == {HEAD, "c1c1c1c1c1c1"} == set(heads(config=project.config()))
    assert by_id["2aefc3d92de3"].is_branch_point and by_id["55221d9084c8"].is_current
    assert "Rev: 2aefc3d92de3 (branchpoint)" in str(graph)

    path = merge("merge heads", config=project.config())
    assert path.exists()
    merged = history(config=project.config())
    (merge_node,) = [n for n in merged.nodes if n.is_merge]
    assert set(merge_node.down_revisions) == {HEAD, "c1c1c1c1c1c1"}
    assert len(merged.heads) == 1
    with pytest.raises(Exception, match="nothing to merge"):
        merge(config=project.config())


def test_history_svg_has_a_node_per_revision_and_is_deterministic() -> None:
    svg = history().svg()
    assert svg == history().svg()
    root = ET.fromstring(svg)
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert set(ALL_REVISIONS) <= titles
    assert history()._repr_mimebundle_()["text/plain"].startswith("History: 5 revisions, 1 head")


# -- small histories of their own, run through Alembic's stock env.py ---------------------------------------------

STOCK_ENV = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
connectable = engine_from_config(
    config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""


def small_project(root: Path, *revisions: tuple[str, str]) -> Config:
    """A project with Alembic's stock env.py and a line of revisions r1, r2, ... given as (upgrade, downgrade)."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = driver://user:pass@localhost/dbname\n"
    )
    (root / "migrations" / "env.py").write_text(STOCK_ENV)
    for number, (upgrade, downgrade) in enumerate(revisions, start=1):
        down = f"r{number - 1}" if number > 1 else None
        (versions / f"r{number}.py").write_text(
            f'"""revision {number}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
            f"revision = 'r{number}'\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
        )
    return alembic_config(root / "alembic.ini", quiet=True)


def create_table(name: str, *columns: str) -> str:
    """The op.create_table call of a revision body: an integer id and `columns` (source text)."""
    listed = "".join(f"    {column},\n" for column in ("sa.Column('id', sa.Integer, primary_key=True)", *columns))
    return f"op.create_table(\n    {name!r},\n{listed})"


ORDERS = create_table(
    "orders",
    "sa.Column('status', sa.Enum('new', 'paid', 'shipped', name='order_status', create_constraint=True), "
    "nullable=False)",
    "sa.Column('quantity', sa.Integer, nullable=False)",
    "sa.Column('code', sa.String(3), nullable=False, unique=True)",
    "sa.CheckConstraint('quantity BETWEEN 100 AND 200', name='ck_orders_quantity')",
)
ORDER_EVENTS = create_table(
    "order_events",
    "sa.Column('order_id', sa.Integer, sa.ForeignKey('orders.id'), nullable=False)",
    "sa.Column('kind', sa.Enum('created', 'cancelled', name='event_kind', create_constraint=True), nullable=False)",
    "sa.Column('at', sa.DateTime(timezone=True), nullable=False)",
    "sa.Column('payload', sa.JSON, nullable=False)",
)


def drop_with_enum(table: str, enum_name: str) -> str:
    return f"op.drop_table({table!r})\nsa.Enum(name={enum_name!r}).drop(op.get_bind(), checkfirst=True)"


def test_an_enum_and_check_history_seeds_valid_rows_and_round_trips_on_every_backend(
    tmp_path: Path, db_url: sa.URL
) -> None:
    config = small_project(
        tmp_path,
        (ORDERS, drop_with_enum("orders", "order_status")),
        (ORDER_EVENTS, drop_with_enum("order_events", "event_kind")),
    )
    report = roundtrip(db_url, config=config)
    assert report.ok, str(report)
    assert all(step.rows_kept and "not seeded" not in step.detail for step in report.steps), str(report)

    migrate(config, db_url, "upgrade", "head")  # the fixture's database: the rows the lab seeds, looked at
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.begin() as connection:
        seeded = seed_tables(connection)
        orders = connection.execute(sa.text("SELECT status, quantity, code FROM orders")).all()
        kinds = connection.execute(sa.text("SELECT kind FROM order_events")).scalars().all()
    engine.dispose()
    assert seeded.skipped == () and dict(seeded.inserted) == {"orders": 2, "order_events": 2}
    assert {status for status, _, _ in orders} <= {"new", "paid", "shipped"}
    assert all(100 <= quantity <= 200 for _, quantity, _ in orders)
    assert len({code for _, _, code in orders}) == 2 and set(kinds) <= {"created", "cancelled"}


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


def every_kind_of_column(backend: str) -> sa.MetaData:
    """Tables whose columns and constraints a careless seeder gets refused on."""
    metadata = sa.MetaData()
    length = "length" if backend == "sqlite" else "char_length"
    sa.Table("parents", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "kinds",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("colour", sa.Enum(Colour, name="colour", create_constraint=True), nullable=False),
        sa.Column("label", sa.Enum("a", "b", name="label", create_constraint=True), nullable=False, unique=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("grade", sa.Integer, nullable=False),
        sa.Column("tag", sa.String(20), nullable=False, unique=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("note", sa.String(3), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("token", sa.Uuid, nullable=False, unique=True),
        sa.Column("wait", sa.Interval, nullable=False),
        sa.Column("blob", sa.LargeBinary, nullable=False),
        sa.Column("at_time", sa.Time, nullable=False),
        sa.Column("on_day", sa.Date, nullable=False),
        sa.Column("stamped", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price", sa.Numeric(3, 2), nullable=False, unique=True),
        sa.Column("flag", sa.Boolean(create_constraint=True), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parents.id"), nullable=False),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("kinds.id")),  # self-reference
        sa.CheckConstraint("score > 500", name="ck_kinds_score"),
        sa.CheckConstraint("grade BETWEEN 3 AND 7", name="ck_kinds_grade"),
        sa.CheckConstraint(f"{length}(tag) <= 4", name="ck_kinds_tag"),
        sa.CheckConstraint("state IN ('on', 'off')", name="ck_kinds_state"),
        sa.CheckConstraint("score IS NOT NULL", name="ck_kinds_score_set"),
    )
    # A cycle: eggs need a chicken, chickens may name an egg.
    sa.Table(
        "chickens",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("egg_id", sa.Integer, sa.ForeignKey("eggs.id", use_alter=True, name="fk_chickens_egg")),
    )
    sa.Table(
        "eggs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chicken_id", sa.Integer, sa.ForeignKey("chickens.id"), nullable=False),
    )
    sa.Table(
        "singleton",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.CheckConstraint("id = 1", name="ck_singleton_one"),
    )
    return metadata


def test_seeding_writes_values_every_column_and_check_accepts(db_url: sa.URL, backend: str) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    every_kind_of_column(backend).create_all(engine)
    with engine.begin() as connection:
        seeded = seed_tables(connection)
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.connect() as connection:
        kinds = connection.execute(sa.select(reflected.tables["kinds"])).mappings().all()
    engine.dispose()
    assert seeded.skipped == ()
    assert dict(seeded.inserted) == {"parents": 2, "kinds": 2, "chickens": 2, "eggs": 2, "singleton": 1}
    assert {row["colour"] for row in kinds} == {"RED", "GREEN"} and {row["label"] for row in kinds} == {"a", "b"}
    assert all(row["score"] > 500 and 3 <= row["grade"] <= 7 and len(row["tag"]) <= 4 for row in kinds)
    assert all(len(row["note"]) <= 3 for row in kinds)  # SQLite would store a longer one: the seeder must not
    assert {row["state"] for row in kinds} <= {"on", "off"} and len({row["tag"] for row in kinds}) == 2
    assert all(Decimal(str(row["price"])) < 10 for row in kinds) and len({row["price"] for row in kinds}) == 2
    document = kinds[0]["document"]
    assert isinstance(json.loads(document) if isinstance(document, str) else document, dict)
    assert len({str(row["token"]).replace("-", "") for row in kinds}) == 2
    if backend == "postgresql":
        assert isinstance(kinds[0]["wait"], dt.timedelta) and isinstance(kinds[0]["token"], uuid.UUID)
        assert kinds[0]["stamped"].tzinfo is not None


def test_a_downgrade_that_forgets_a_postgresql_enum_type_fails_naming_it(tmp_path: Path, postgres_url: sa.URL) -> None:
    orders = create_table("orders", "sa.Column('status', sa.Enum('new', 'paid', name='order_status'))")
    add_label = "op.execute(\"ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'\")"
    config = small_project(tmp_path, (orders, "op.drop_table('orders')"), (add_label, "op.execute('SELECT 1')"))
    report = roundtrip(postgres_url, config=config)
    first, second = report.steps
    assert first.status == FAILED and first.schema_restored is False
    assert "enum order_status left behind" in first.detail
    assert 'upgrade after the downgrade failed: DuplicateObject: type "order_status" already exists' in first.detail
    assert second.status == FAILED  # reached anyway, on a database made again
    assert "enum order_status: labels before (new, paid), after (new, paid, refunded)" in second.detail


def test_a_downgrade_restoring_columns_differently_fails_naming_table_column_and_attribute(
    tmp_path: Path, db_url: sa.URL
) -> None:
    widen = """\
with op.batch_alter_table('t') as batch:
    batch.alter_column('c', type_=sa.String(50), existing_type=sa.String(20), existing_nullable=True)
    batch.alter_column('d', type_=sa.String(30), existing_type=sa.String(10))
"""
    narrow = """\
with op.batch_alter_table('t') as batch:  # c was nullable and d was 10 long before: both restored wrongly
    batch.alter_column('c', type_=sa.String(20), existing_type=sa.String(50), nullable=False)
    batch.alter_column('d', type_=sa.String(20), existing_type=sa.String(30))
"""
    columns = ("sa.Column('c', sa.String(20), nullable=True)", "sa.Column('d', sa.String(10))")
    config = small_project(tmp_path, (create_table("t", *columns), "op.drop_table('t')"), (widen, narrow))
    report = roundtrip(db_url, config=config)
    step = report.step("r2")
    assert step.status == FAILED and step.schema_restored is False and step.rows_kept is True
    assert "t.c: nullable before YES, after NO" in step.detail
    assert "t.d: type before VARCHAR(10), after VARCHAR(20)" in step.detail
    assert report.step("r1").status == OK


def test_every_revision_is_reported_when_one_in_the_middle_fails(tmp_path: Path) -> None:
    config = small_project(
        tmp_path,
        (create_table("a", "sa.Column('name', sa.String(20))"), "op.drop_table('a')"),
        (create_table("b", "sa.Column('a_id', sa.Integer, sa.ForeignKey('a.id'))"), "op.drop_table('no_such_table')"),
        (create_table("c", "sa.Column('size', sa.Integer)"), "op.drop_table('c')"),
        ("op.create_index('ix_c_size', 'c', ['size'])", "op.drop_index('ix_c_size', table_name='c')"),
    )
    lines: list[str] = []
    report = roundtrip(config=config, progress=lines.append)
    assert [(s.revision, s.status) for s in report.steps] == [("r1", OK), ("r2", FAILED), ("r3", OK), ("r4", OK)]
    assert report.step("r2").detail.startswith("downgrade failed: OperationalError: no such table: no_such_table")
    assert [line.split(" (")[0] for line in lines] == [
        "revision r1: ok", "revision r2: failed", "revision r3: ok", "revision r4: ok"
    ]  # fmt: skip
    assert "1 failed, 0 irreversible" in repr(report) and "seconds" not in repr(report)


def test_an_upgrade_refusing_seeded_rows_is_reported_and_the_history_goes_on(
    tmp_path: Path, postgres_url: sa.URL
) -> None:
    config = small_project(
        tmp_path,
        (create_table("t", "sa.Column('name', sa.String(10))"), "op.drop_table('t')"),
        ("op.add_column('t', sa.Column('rank', sa.Integer, nullable=False))", "op.drop_column('t', 'rank')"),
        (create_table("u"), "op.drop_table('u')"),
    )
    report = roundtrip(postgres_url, config=config)
    step = report.step("r2")
    assert step.status == FAILED and step.up_ok is False and step.down_ok is True
    assert "upgrade failed on the seeded rows: NotNullViolation" in step.detail
    assert "on empty tables it round-trips" in step.detail
    assert report.step("r3").status == OK


def test_an_empty_downgrade_shows_as_a_no_op_and_a_wrapped_not_implemented_as_irreversible(tmp_path: Path) -> None:
    wrapped = """\
try:
    raise NotImplementedError("the old rows are gone")
except NotImplementedError as error:
    raise RuntimeError("cannot go back") from error
"""
    config = small_project(
        tmp_path,
        (create_table("t", "sa.Column('name', sa.String(20))"), "op.drop_table('t')"),
        ("op.create_index('ix_t_name', 't', ['name'])", '"""Nothing to undo."""\npass'),
        ("op.execute(\"UPDATE t SET name = 'x'\")", wrapped),
    )
    report = roundtrip(config=config)
    noop, irreversible = report.step("r2"), report.step("r3")
    assert noop.status == NOOP_DOWNGRADE and noop.down_ok is True and noop.up_ok is False
    assert noop.detail.startswith("downgrade() is empty: nothing was undone")
    assert "index ix_t_name on t left behind" in noop.detail
    assert "index ix_t_name already exists (a duplicate: the empty downgrade left" in noop.detail
    assert irreversible.status == IRREVERSIBLE and irreversible.detail == "irreversible: the old rows are gone"
    assert not report.ok and "1 no-op downgrade" in repr(report)


def test_a_sqlite_enum_without_a_check_is_seeded_with_its_labels(tmp_path: Path) -> None:
    # On SQLite, sa.Enum without create_constraint is a bare VARCHAR: only the revisions know its labels, and a
    # revision reading a value through the Enum type fails with "not among the defined enum values".
    read = "op.get_bind().execute(sa.select(sa.table('t', sa.column('kind', sa.Enum('on', 'off', name='kind'))))).all()"
    config = small_project(
        tmp_path,
        (
            create_table("t", "sa.Column('kind', sa.Enum('on', 'off', name='kind'), nullable=False)"),
            "op.drop_table('t')",
        ),
        (read, read),
    )
    report = roundtrip(config=config)
    assert report.step("r2").status == OK, str(report)


def test_optunas_real_history_reports_its_known_defects_and_goes_on(tmp_path: Path) -> None:
    if importlib.util.find_spec("optuna") is None:
        pytest.skip("optuna is not installed: pip install optuna==5.0.0 (the test extra) to run this test")
    from tests.apps.projects import OPTUNA, optuna_project

    project = optuna_project(tmp_path)
    report = roundtrip(config=alembic_config(project / "alembic.ini", quiet=True))
    assert len(report.steps) == OPTUNA.revisions
    assert report.steps[0].revision == OPTUNA.base and report.steps[-1].revision == OPTUNA.head
    assert report.step("v2.4.0.a").status == NOOP_DOWNGRADE
    broken = report.step("v3.0.0.c")
    assert broken.status == FAILED and broken.down_ok is False
    assert "downgrade failed: AttributeError:" in broken.detail and "FloatTypeEnum" in broken.detail
    assert [report.step(r).status for r in ("v3.0.0.d", "v3.2.0.a")] == [OK, OK]  # exercised after it
    assert not (project / OPTUNA.db_file).exists(), "the project's own database is never created"
