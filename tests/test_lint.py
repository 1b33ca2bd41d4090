"""Every lint rule fires on its hazard and stays quiet on the safe variant; preflight counts use real rows."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.pool import NullPool

from schema_tools.cli import main
from schema_tools.connect import read_only_connection
from schema_tools.lint import LintContext, lint_ops
from schema_tools.scratch import upgraded_database

# A small live table: 3 rows, a duplicated value, a NULL, and a value too long for VARCHAR(5).
SETUP = [
    "CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20), price FLOAT, note VARCHAR(20))",
    "INSERT INTO items VALUES (1, 'a', 1.5, NULL), (2, 'a', 2.0, 'x'), (3, 'longer-code', 3.0, 'y')",
    "CREATE TABLE empty (id INTEGER PRIMARY KEY, code VARCHAR(20))",
]


def live(url: sa.URL) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        for statement in SETUP:
            connection.exec_driver_sql(statement)
    engine.dispose()


def rules(url: sa.URL | None, *operations, dialect: str | None = None, **context) -> dict[str, tuple]:
    upgrade = ops.UpgradeOps(ops=list(operations))
    if url is None:
        findings = lint_ops(upgrade, LintContext(dialect or "sqlite", None, **context))
    else:
        with read_only_connection(url) as connection:
            findings = lint_ops(upgrade, LintContext(dialect or connection.dialect.name, connection, **context))
    return {f.rule: (f.severity, f.count) for f in findings}


def add(table: str, column: sa.Column) -> ops.ModifyTableOps:
    return ops.ModifyTableOps(table, [ops.AddColumnOp(table, column)])


def alter(table: str, column: str, **kw) -> ops.ModifyTableOps:
    return ops.ModifyTableOps(table, [ops.AlterColumnOp(table, column, **kw)])


def test_drop_table_and_drop_column_are_errors_with_their_row_counts(db_url: sa.URL) -> None:
    live(db_url)
    found = rules(db_url, ops.DropTableOp("items"), ops.ModifyTableOps("empty", [ops.DropColumnOp("empty", "code")]))
    assert found["drop-table"] == ("error", 3)
    assert found["drop-column"] == ("error", 0)
    assert rules(db_url, add("items", sa.Column("extra", sa.Integer))) == {}


def test_not_null_without_default_depends_on_rows(db_url: sa.URL) -> None:
    live(db_url)
    required = sa.Column("required", sa.String(5), nullable=False)
    assert rules(db_url, add("items", required))["not-null-without-default"] == ("error", 3)
    assert "not-null-without-default" not in rules(
        db_url, add("empty", sa.Column("required", sa.String(5), nullable=False))
    )
    with_default = sa.Column("required", sa.String(5), nullable=False, server_default="x")
    assert "not-null-without-default" not in rules(db_url, add("items", with_default))
    assert (
        rules(None, add("items", sa.Column("r", sa.String(5), nullable=False)))["not-null-without-default"][0]
        == "warning"
    )


def test_set_not_null_over_nulls_counts_them(db_url: sa.URL) -> None:
    live(db_url)
    found = rules(db_url, alter("items", "note", modify_nullable=False, existing_type=sa.String(20)))
    assert found["not-null-over-nulls"] == ("error", 1)
    assert "not-null-over-nulls" not in rules(
        db_url, alter("items", "code", modify_nullable=False, existing_type=sa.String(20))
    )


def test_unique_over_duplicates_counts_the_groups(db_url: sa.URL) -> None:
    live(db_url)
    unique_code = ops.CreateUniqueConstraintOp("uq_items_code", "items", ["code"])
    assert rules(db_url, unique_code)["unique-on-duplicates"] == ("error", 1)
    assert "unique-on-duplicates" not in rules(
        db_url, ops.CreateUniqueConstraintOp("uq_items_price", "items", ["price"])
    )
    assert (
        rules(db_url, ops.CreateIndexOp("ix_u", "items", ["code"], unique=True))["unique-on-duplicates"][0] == "error"
    )
    assert "unique-on-duplicates" not in rules(db_url, ops.CreateIndexOp("ix_n", "items", ["code"]))


def test_narrowing_types_count_the_values_that_would_not_fit(db_url: sa.URL) -> None:
    live(db_url)
    narrow = alter("items", "code", existing_type=sa.String(20), modify_type=sa.String(5))
    assert rules(db_url, narrow)["narrowing-type"] == ("error", 1)
    to_int = alter("items", "price", existing_type=sa.Float(), modify_type=sa.Integer())
    assert rules(db_url, to_int)["narrowing-type"] == ("error", 1)
    fits = alter("items", "note", existing_type=sa.String(20), modify_type=sa.String(5))
    assert rules(db_url, fits)["narrowing-type"] == ("warning", 0)
    widen = alter("items", "code", existing_type=sa.String(20), modify_type=sa.String(50))
    assert "narrowing-type" not in rules(db_url, widen)


def test_a_drop_plus_a_compatible_add_is_a_suspected_rename() -> None:
    dropped = ops.DropColumnOp.from_column_and_tablename(None, "users", sa.Column("full_name", sa.String(100)))
    added = ops.AddColumnOp("users", sa.Column("display_name", sa.String(100)))
    found = lint_ops(ops.UpgradeOps(ops=[ops.ModifyTableOps("users", [added, dropped])]), LintContext("sqlite"))
    (rename,) = [f for f in found if f.rule == "rename-suspicion"]
    assert 'new_column_name="display_name"' in rename.hint
    other_type = ops.AddColumnOp("users", sa.Column("logins", sa.Integer))
    found = lint_ops(ops.UpgradeOps(ops=[ops.ModifyTableOps("users", [other_type, dropped])]), LintContext("sqlite"))
    assert "rename-suspicion" not in {f.rule for f in found}


def test_a_dropped_and_a_created_table_with_the_same_columns_is_a_suspected_rename() -> None:
    old = sa.Table("old_logs", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("msg", sa.Text))
    new = sa.Table("logs", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("msg", sa.Text))
    other = sa.Table("other", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    same = lint_ops(
        ops.UpgradeOps(ops=[ops.DropTableOp.from_table(old), ops.CreateTableOp.from_table(new)]), LintContext("sqlite")
    )
    assert any(f.rule == "rename-suspicion" and "op.rename_table" in f.hint for f in same)
    different = lint_ops(
        ops.UpgradeOps(ops=[ops.DropTableOp.from_table(old), ops.CreateTableOp.from_table(other)]),
        LintContext("sqlite"),
    )
    assert "rename-suspicion" not in {f.rule for f in different}


def test_postgresql_index_without_concurrently_on_a_big_table(postgres_url: sa.URL) -> None:
    live(postgres_url)
    index = ops.CreateIndexOp("ix_items_code", "items", ["code"])
    assert rules(postgres_url, index, big_table_rows=3)["squawk:require-concurrent-index-creation"] == ("warning", 3)
    assert "squawk:require-concurrent-index-creation" not in rules(postgres_url, index, big_table_rows=4)
    concurrent = ops.CreateIndexOp("ix_items_code", "items", ["code"], postgresql_concurrently=True)
    assert "squawk:require-concurrent-index-creation" not in rules(postgres_url, concurrent, big_table_rows=3)
    assert "squawk:require-concurrent-index-creation" not in rules(None, index, dialect="sqlite", big_table_rows=0)


def test_postgresql_volatile_default_and_table_rewrite() -> None:
    volatile = add("items", sa.Column("token", sa.String(36), server_default=sa.text("gen_random_uuid()")))
    stable = add("items", sa.Column("created", sa.DateTime, server_default=sa.func.now()))
    assert "squawk:adding-field-with-default" in rules(None, volatile, dialect="postgresql")
    assert "squawk:adding-field-with-default" not in rules(None, stable, dialect="postgresql")
    assert "squawk:adding-field-with-default" not in rules(None, volatile, dialect="sqlite")
    rewrite = alter("items", "id", existing_type=sa.Integer(), modify_type=sa.BigInteger())
    catalog_only = alter("items", "code", existing_type=sa.String(20), modify_type=sa.String(40))
    assert "squawk:changing-column-type" in rules(None, rewrite, dialect="postgresql")
    assert "squawk:changing-column-type" not in rules(None, catalog_only, dialect="postgresql")


def test_identifiers_over_the_dialect_limit_are_rejected_before_ddl() -> None:
    long_name = "ix_" + "x" * 62
    index = ops.CreateIndexOp(long_name, "items", ["code"])
    assert rules(None, index, dialect="postgresql")["identifier-too-long"][0] == "error"
    assert rules(None, index, dialect="mysql")["identifier-too-long"][0] == "error"
    unicode_name = "ü" * 32  # 32 characters, 64 bytes: over PostgreSQL's 63 bytes, within MySQL's 64 characters
    column = add("items", sa.Column(unicode_name, sa.Integer))
    assert "identifier-too-long" in rules(None, column, dialect="postgresql")
    assert "identifier-too-long" not in rules(None, column, dialect="mysql")
    assert "identifier-too-long" not in rules(
        None, ops.CreateIndexOp("ix_short", "items", ["code"]), dialect="postgresql"
    )


def test_lint_of_the_repository_history_reads_the_scripts_without_a_database(capsys) -> None:
    assert main(["lint", "--all", "--format", "json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert [entry["revision"] for entry in report][-1] == "dd16cd167d19"
    assert len(report) == 5
    email = next(entry for entry in report if entry["revision"] == "55221d9084c8")
    # Offline, a new unique key and SET NOT NULL may each fail on existing rows; the op.execute() backfill is
    # measured on a scratch database, so no raw-sql finding is left.
    assert [f["rule"] for f in email["findings"]] == ["not-null-over-nulls", "unique-on-duplicates"]
    assert email["findings"][0]["severity"] == "warning"  # no URL: no count


def test_the_lint_verb_says_what_the_command_says(capsys) -> None:
    import json

    import schema_tools

    assert main(["lint", "--all", "--format", "json"]) == 0
    from_command = json.loads(capsys.readouterr().out)
    from_verb = [report.to_dict() for report in schema_tools.lint(every=True)]
    assert from_verb == from_command
    (head,) = schema_tools.lint()
    assert head.revision == from_command[-1]["revision"]


def test_lint_with_a_url_counts_live_rows(capsys, tmp_path) -> None:
    from tests.support_project import HEAD, Project

    project = Project(tmp_path)
    project.add_revision(
        "f1f1f1f1f1f1", HEAD, 'op.create_unique_constraint("uq_users_full_name", "users", ["full_name"])'
    )
    url = upgraded_database()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE users SET full_name = 'Same Name'")
    engine.dispose()
    config = str(project.root / "alembic.ini")
    assert main(["lint", "f1f1f1f1f1f1", "--url", url, "--config", config, "--format", "json"]) == 1
    import json

    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["findings"][0]["rule"] == "unique-on-duplicates" and entry["findings"][0]["count"] == 1


def test_draft_cli_exits_1_on_error_findings_unless_allowed(capsys) -> None:
    url = upgraded_database()
    assert main(["draft", "-m", "nothing", "--url", url]) == 0
    assert main(["draft", "-m", "x", "--url", url, "--metadata", "tests.test_lint:WITH_REQUIRED_COLUMN"]) == 1
    out = capsys.readouterr().out
    assert "not-null-without-default" in out
    assert (
        main(
            [
                "draft",
                "-m",
                "x",
                "--url",
                url,
                "--metadata",
                "tests.test_lint:WITH_REQUIRED_COLUMN",
                "--allow-data-loss",
            ]
        )
        == 0
    )


def _with_required_column() -> sa.MetaData:
    from schema_tools.sources import copy_metadata

    metadata = copy_metadata()
    metadata.tables["users"].append_column(sa.Column("timezone", sa.String(40), nullable=False))
    return metadata


WITH_REQUIRED_COLUMN = _with_required_column()
