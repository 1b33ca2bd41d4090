"""Preflight counts on real rows, with hostile names, through a read-only connection, on every backend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_tools import preflight
from schema_tools.connect import read_only_connection

PARENT = "order"  # a reserved word
CHILD = 'line "item"; DROP TABLE t; --'
CODE = "Code Ü"


def build(url: sa.URL) -> None:
    metadata = sa.MetaData()
    parent = sa.Table(PARENT, metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table(
        CHILD,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, nullable=True),
        sa.Column(CODE, sa.String(40), nullable=True),
        sa.Column("price", sa.Float, nullable=True),
    )
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(parent.insert(), [{"id": 1}, {"id": 2}])
        connection.execute(
            child.insert(),
            [
                {"id": 1, "order_id": 1, CODE: "short", "price": 1.0},
                {"id": 2, "order_id": 1, CODE: "short", "price": 2.5},
                {"id": 3, "order_id": 7, CODE: "a much longer code value", "price": 3.0},
                {"id": 4, "order_id": 8, CODE: None, "price": None},
                {"id": 5, "order_id": None, CODE: "dup", "price": 4.0},
                {"id": 6, "order_id": 2, CODE: "dup", "price": 5.75},
            ],
        )
    engine.dispose()


def test_counts_on_real_rows(db_url: sa.URL) -> None:
    build(db_url)
    with read_only_connection(db_url) as connection:
        assert preflight.row_count(connection, CHILD) == 6
        assert preflight.row_count(connection, "no_such_table") == 0
        assert preflight.null_count(connection, CHILD, CODE) == 1
        assert preflight.null_count(connection, CHILD, "order_id") == 1
        assert preflight.duplicate_groups(connection, CHILD, [CODE]) == 2  # "short" twice, "dup" twice
        assert preflight.duplicate_groups(connection, CHILD, ["order_id"]) == 1
        assert preflight.duplicate_groups(connection, CHILD, ["id"]) == 0
        assert preflight.orphan_rows(connection, CHILD, ["order_id"], PARENT, ["id"]) == 2  # 7 and 8
        assert preflight.orphan_rows(connection, CHILD, ["order_id"], "absent_parent", ["id"]) == 5
        assert preflight.values_not_fitting(connection, CHILD, CODE, sa.String(10)) == 1
        assert preflight.values_not_fitting(connection, CHILD, CODE, sa.String(100)) == 0
        assert preflight.values_not_fitting(connection, CHILD, "price", sa.Integer()) == 2  # 2.5 and 5.75
        assert preflight.values_not_fitting(connection, CHILD, "price", sa.JSON()) is None


def test_preflight_never_writes(db_url: sa.URL) -> None:
    build(db_url)
    path = Path(db_url.database) if db_url.get_backend_name() == "sqlite" else None
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    with read_only_connection(db_url) as connection:
        preflight.duplicate_groups(connection, CHILD, [CODE])
        preflight.orphan_rows(connection, CHILD, ["order_id"], PARENT, ["id"])
        with pytest.raises(sa.exc.DBAPIError):
            connection.execute(sa.table(PARENT, sa.column("id")).insert().values(id=99))
    if path:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    engine = sa.create_engine(db_url, poolclass=NullPool)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        count = connection.execute(sa.select(sa.func.count()).select_from(sa.table(PARENT))).scalar_one()
    engine.dispose()
    assert tables == {PARENT, CHILD}
    assert count == 2


def test_counts_over_many_tables_let_their_locks_go_past_the_kept_number(
    new_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL holds each counted table's lock to the end of the transaction, in a lock table of a few
    # thousand slots: a diff dropping 10,000 tables ran out of shared memory. Past LOCKS_KEPT, counts release them.
    url = new_database("postgresql")
    metadata = sa.MetaData()
    tables = [sa.Table(f"many_{i}", metadata, sa.Column("id", sa.Integer, primary_key=True)) for i in range(12)]
    engine = sa.create_engine(url, poolclass=NullPool)
    metadata.create_all(engine)
    with engine.begin() as connection:
        for i, table in enumerate(tables[1:], start=1):
            connection.execute(table.insert(), [{"id": n} for n in range(i)])
    engine.dispose()
    monkeypatch.setattr(preflight, "LOCKS_KEPT", 4)
    held = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relkind = 'r' AND c.relname LIKE 'many\\_%'"
    )
    with read_only_connection(url) as connection:
        counts = [preflight.row_count(connection, table.name) for table in tables]
        assert preflight.null_count(connection, "many_11", "id") == 0
        locks = connection.execute(held).scalar_one()
        assert connection.execute(sa.text("SHOW transaction_read_only")).scalar_one() == "on"
    assert counts == list(range(12))
    assert locks == 4, "the counts past the kept number still hold their tables' locks"


def test_a_rule_context_counts_each_table_once_without_listing_every_table(db_url: sa.URL) -> None:
    from schema_tools.rules.engine import RuleContext

    build(db_url)
    engine = sa.create_engine(db_url, poolclass=NullPool)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    with read_only_connection(engine) as connection:
        statements.clear()
        context = RuleContext(connection.dialect.name, connection)
        assert [context.rows(CHILD), context.rows(CHILD), context.rows("not_yet")] == [6, 6, 0]
        assert context.has_columns(CHILD, [CODE]) and not context.has_columns("not_yet", ["id"])
    engine.dispose()
    counts = [sql for sql in statements if "count(*)" in sql.lower()]
    assert len(counts) == 1, counts  # CHILD once; a missing table is not counted
    # Inspector.get_table_names' statements on the three backends (PostgreSQL's has_table filters on relname).
    listing = ("SHOW FULL TABLES", "relpersistence", "sqlite_master WHERE type='table' AND name NOT")
    assert not any(marker in sql for sql in statements for marker in listing), statements
