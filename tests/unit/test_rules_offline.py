"""The rule engine without a database: what each rule says of Alembic operations alone, per backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from schema_tools.changes import Change
from schema_tools.dialects import backend_named
from schema_tools.lint import Finding, LintContext, lint_ops
from schema_tools.rules.catalog import assess, losses, rules_table, type_change_loss
from schema_tools.rules.engine import RULES
from schema_tools.rules.verdict import DATA_LOSS, ERROR, MAY_FAIL, SAFE, WARNING

pytestmark = pytest.mark.unit

BACKENDS = ("sqlite", "postgresql", "mysql")


def lint(operations: list[ops.MigrateOperation], backend: str) -> tuple[Finding, ...]:
    return lint_ops(ops.UpgradeOps(ops=operations), LintContext(backend))


def rules_of(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.rule for finding in findings]


def by_rule(findings: tuple[Finding, ...], rule: str) -> Finding:
    (found,) = [finding for finding in findings if finding.rule == rule]
    return found


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropping_a_table_or_a_column_is_a_data_loss_error(backend: str) -> None:
    findings = lint([ops.DropTableOp("users"), ops.DropColumnOp("bots", "region")], backend)
    table, column = by_rule(findings, "drop-table"), by_rule(findings, "drop-column")
    assert (table.risk, table.severity, table.table) == (DATA_LOSS, ERROR, "users")
    assert (column.risk, column.severity, column.table, column.column) == (DATA_LOSS, ERROR, "bots", "region")
    assert table.count is None  # no connection, no row count


def test_a_drop_on_an_unknown_backend_is_still_data_loss() -> None:
    findings = lint([ops.DropTableOp("users")], "oracle")
    assert rules_of(findings) == ["drop-table"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_null_without_a_server_default_may_fail(backend: str) -> None:
    findings = lint([ops.AddColumnOp("bots", sa.Column("region", sa.String(8), nullable=False))], backend)
    found = by_rule(findings, "not-null-without-default")
    assert (found.risk, found.severity) == (MAY_FAIL, WARNING)


@pytest.mark.parametrize(
    "column",
    [
        sa.Column("region", sa.String(8), nullable=False, server_default="eu"),
        sa.Column("region", sa.String(8), nullable=True),
        sa.Column("total", sa.Integer, sa.Computed("a + b"), nullable=False),
    ],
)
def test_a_column_with_a_default_a_computed_value_or_nulls_allowed_is_not_flagged(column: sa.Column[object]) -> None:
    assert "not-null-without-default" not in rules_of(lint([ops.AddColumnOp("bots", column)], "sqlite"))


def test_set_not_null_without_a_connection_may_fail() -> None:
    operation = ops.AlterColumnOp("bots", "region", modify_nullable=False, existing_type=sa.String(8))
    found = by_rule(lint([operation], "sqlite"), "not-null-over-nulls")
    assert (found.risk, found.severity) == (MAY_FAIL, WARNING)


def test_dropping_not_null_is_not_flagged() -> None:
    operation = ops.AlterColumnOp("bots", "region", modify_nullable=True, existing_type=sa.String(8))
    assert lint([operation], "sqlite") == ()


def test_unique_check_and_foreign_key_additions_may_fail_on_existing_rows() -> None:
    findings = lint(
        [
            ops.CreateUniqueConstraintOp("uq_bots_name", "bots", ["name"]),
            ops.CreateCheckConstraintOp("ck_bots_size", "bots", sa.text("size > 0")),
            ops.CreateForeignKeyOp("fk_bots_owner", "bots", "users", ["owner_id"], ["id"]),
            ops.CreateIndexOp("ix_bots_name", "bots", ["name"], unique=True),
            ops.CreateIndexOp("ix_bots_size", "bots", ["size"]),
        ],
        "sqlite",
    )
    assert sorted(rules_of(findings)) == ["check-on-rows", "fk-orphans", "unique-on-duplicates", "unique-on-duplicates"]
    assert {finding.risk for finding in findings} == {MAY_FAIL}
    assert {finding.operation for finding in findings if finding.rule == "unique-on-duplicates"} == {
        "create_unique_constraint uq_bots_name on bots",
        "create_index ix_bots_name on bots",
    }


def test_a_narrowing_type_change_is_data_loss_and_a_widening_is_not_listed() -> None:
    narrowing = ops.AlterColumnOp("bots", "name", modify_type=sa.String(10), existing_type=sa.String(50))
    widening = ops.AlterColumnOp("bots", "name", modify_type=sa.String(80), existing_type=sa.String(50))
    found = by_rule(lint([narrowing], "sqlite"), "narrowing-type")
    assert (found.risk, found.severity) == (DATA_LOSS, ERROR)
    assert lint([widening], "sqlite") == ()


def test_a_type_given_as_a_class_is_judged_like_an_instance() -> None:
    operation = ops.AlterColumnOp("bots", "name", modify_type=sa.TEXT, existing_type=sa.String(50))
    assert lint([operation], "sqlite") == ()


@pytest.mark.parametrize(("backend", "fires"), [("postgresql", True), ("sqlite", False), ("mysql", False)])
def test_table_rewrite_is_a_postgresql_rule(backend: str, fires: bool) -> None:
    operation = ops.AlterColumnOp("bots", "size", modify_type=sa.BigInteger(), existing_type=sa.Integer())
    assert ("squawk:changing-column-type" in rules_of(lint([operation], backend))) is fires


def test_widening_text_on_postgresql_is_a_catalog_change_not_a_rewrite() -> None:
    operation = ops.AlterColumnOp("bots", "name", modify_type=sa.Text(), existing_type=sa.String(50))
    assert lint([operation], "postgresql") == ()


@pytest.mark.parametrize(("backend", "fires"), [("postgresql", True), ("sqlite", False), ("mysql", False)])
def test_a_volatile_default_is_a_postgresql_rule(backend: str, fires: bool) -> None:
    column = sa.Column("token", sa.Uuid, server_default=sa.text("gen_random_uuid()"))
    assert ("squawk:adding-field-with-default" in rules_of(lint([ops.AddColumnOp("bots", column)], backend))) is fires


def test_a_stable_default_such_as_now_is_not_volatile() -> None:
    column = sa.Column("created", sa.DateTime, server_default=sa.text("now()"))
    assert lint([ops.AddColumnOp("bots", column)], "postgresql") == ()


def test_create_index_without_concurrently_needs_a_row_count_to_warn() -> None:
    assert lint([ops.CreateIndexOp("ix_bots_size", "bots", ["size"])], "postgresql") == ()


LONG_ASCII = "c" * 64  # 64 bytes and 64 characters: over PostgreSQL's 63, within MySQL's 64
LONG_MULTIBYTE = "é" * 40  # 80 bytes but 40 characters


@pytest.mark.parametrize(
    ("backend", "name", "fires"),
    [
        ("postgresql", LONG_ASCII, True),
        ("mysql", LONG_ASCII, False),
        ("postgresql", LONG_MULTIBYTE, True),
        ("mysql", LONG_MULTIBYTE, False),
        ("mysql", "c" * 65, True),
        ("postgresql", "c" * 63, False),
        ("postgresql", "é" * 31, False),  # 62 bytes
        ("postgresql", "é" * 32, True),  # 64 bytes
        ("sqlite", "c" * 200, False),
    ],
)
def test_identifier_limits_count_bytes_on_postgresql_and_characters_on_mysql(
    backend: str, name: str, fires: bool
) -> None:
    findings = lint([ops.AddColumnOp("bots", sa.Column(name, sa.Integer))], backend)
    assert ("identifier-too-long" in rules_of(findings)) is fires


def test_identifier_too_long_reports_the_size_in_the_backends_unit() -> None:
    postgresql = by_rule(
        lint([ops.AddColumnOp("bots", sa.Column(LONG_MULTIBYTE, sa.Integer))], "postgresql"), "identifier-too-long"
    )
    mysql = by_rule(lint([ops.AddColumnOp("bots", sa.Column("é" * 70, sa.Integer))], "mysql"), "identifier-too-long")
    assert postgresql.count == len(LONG_MULTIBYTE.encode()) == 80
    assert mysql.count == 70


def test_identifier_too_long_looks_inside_a_created_table() -> None:
    table = sa.Table(
        "bots", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("x" * 70, sa.Integer)
    )
    found = by_rule(lint([ops.CreateTableOp.from_table(table)], "postgresql"), "identifier-too-long")
    assert found.count == 70


def test_a_dropped_column_and_an_added_one_of_a_compatible_type_read_as_a_rename() -> None:
    dropped = ops.DropColumnOp.from_column_and_tablename(None, "bots", sa.Column("region", sa.String(20)))
    findings = lint([dropped, ops.AddColumnOp("bots", sa.Column("zone", sa.String(30)))], "sqlite")
    found = by_rule(findings, "rename-suspicion")
    assert found.operation == "drop_column bots.region"
    assert '"bots", "region", new_column_name="zone"' in found.hint


@pytest.mark.parametrize(
    ("added_table", "added_type"),
    [("bots", sa.Integer()), ("users", sa.String(30))],
)
def test_no_rename_is_suspected_across_type_families_or_tables(
    added_table: str, added_type: sa.types.TypeEngine[object]
) -> None:
    dropped = ops.DropColumnOp.from_column_and_tablename(None, "bots", sa.Column("region", sa.String(20)))
    findings = lint([dropped, ops.AddColumnOp(added_table, sa.Column("zone", added_type))], "sqlite")
    assert "rename-suspicion" not in rules_of(findings)


def test_the_likeliest_rename_is_the_added_column_of_the_same_type() -> None:
    dropped = ops.DropColumnOp.from_column_and_tablename(None, "bots", sa.Column("region", sa.String(20)))
    other = ops.AddColumnOp("bots", sa.Column("label", sa.String(99)))
    same = ops.AddColumnOp("bots", sa.Column("zone", sa.String(20)))
    found = by_rule(lint([dropped, other, same], "sqlite"), "rename-suspicion")
    assert 'new_column_name="zone"' in found.hint


def test_a_dropped_table_and_a_created_one_with_the_same_columns_read_as_a_rename() -> None:
    old = sa.Table("bot", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("name", sa.String(9)))
    new = sa.Table("bots", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("name", sa.String(9)))
    findings = lint([ops.DropTableOp.from_table(old), ops.CreateTableOp.from_table(new)], "sqlite")
    found = by_rule(findings, "rename-suspicion")
    assert 'op.rename_table("bot", "bots")' in found.hint


@pytest.mark.parametrize("backend", BACKENDS)
def test_raw_sql_is_never_silently_safe(backend: str) -> None:
    findings = lint([ops.ExecuteSQLOp("UPDATE bots SET size = 0")], backend)
    found = by_rule(findings, "raw-sql")
    assert (found.risk, found.severity) == (MAY_FAIL, WARNING)
    assert found.operation == "execute UPDATE bots SET size = 0"


def test_an_operation_schema_tools_does_not_know_is_judged_like_raw_sql() -> None:
    class Vacuum(ops.MigrateOperation):
        pass

    assert rules_of(lint([Vacuum()], "sqlite")) == ["raw-sql"]


def test_renaming_a_table_and_inserting_rows_are_known_to_be_safe() -> None:
    table = sa.Table("bots", sa.MetaData(), sa.Column("id", sa.Integer))
    assert lint([ops.RenameTableOp("bot", "bots"), ops.BulkInsertOp(table, [{"id": 1}])], "sqlite") == ()


def test_operations_inside_a_modify_table_block_are_judged_too() -> None:
    block = ops.ModifyTableOps("bots", [ops.DropColumnOp("bots", "region")])
    assert rules_of(lint([block], "sqlite")) == ["drop-column"]


def test_findings_come_errors_first() -> None:
    findings = lint(
        [
            ops.ExecuteSQLOp("SELECT 1"),
            ops.DropTableOp("users"),
            ops.AddColumnOp("bots", sa.Column("n", sa.Integer, nullable=False)),
        ],
        "sqlite",
    )
    severities = [finding.severity for finding in findings]
    assert severities == [ERROR, WARNING, WARNING]


def test_a_backend_object_is_as_good_as_its_name() -> None:
    operation = ops.AlterColumnOp("bots", "size", modify_type=sa.BigInteger(), existing_type=sa.Integer())
    by_object = lint_ops(ops.UpgradeOps(ops=[operation]), LintContext(backend_named("postgresql")))
    assert by_object == lint([operation], "postgresql")


def test_losses_name_what_a_plan_destroys() -> None:
    found = losses(
        ops.UpgradeOps(ops=[ops.DropTableOp("users"), ops.AddColumnOp("bots", sa.Column("n", sa.Integer))]), "sqlite"
    )
    assert found == ("drops table users",)


def test_type_change_loss_is_none_for_a_widening() -> None:
    assert type_change_loss("bots", "name", sa.String(10), sa.String(20), "sqlite") is None
    loss = type_change_loss("bots", "name", sa.String(20), sa.String(10), "sqlite")
    assert loss is not None and "bots.name" in loss


def test_assess_fills_risk_and_reason_from_the_worst_verdict() -> None:
    dropped = Change("remove_table", "users", "users", raw=("remove_table", sa.Table("users", sa.MetaData())))
    unknown = Change("frobnicate_table", "bots", "bots")
    assessed = assess((dropped, unknown), None, "sqlite")
    assert [(change.risk, change.verdicts[0].rule) for change in assessed] == [
        (DATA_LOSS, "drop-table"),
        (MAY_FAIL, "raw-sql"),
    ]
    assert assessed[0].reason == assessed[0].verdicts[0].message
    assert assess((), None, "sqlite") == ()


def test_a_change_no_rule_objects_to_is_safe_with_no_reason() -> None:
    (change,) = assess((Change("modify_comment", "bots", "name", "a", "b", ("name",)),), None, "sqlite")
    assert (change.risk, change.reason, change.verdicts) == (SAFE, "", ())


def test_rules_table_lists_every_registered_rule_exactly_once() -> None:
    rows = [line for line in rules_table().splitlines() if line.startswith("| `")]
    listed = [row.split("`")[1] for row in rows]
    assert len(listed) == len(set(listed))
    assert set(listed) == {spec.id for spec in RULES}
    assert len(RULES) == len({spec.id for spec in RULES})


def test_rules_table_shows_backend_only_rules_for_their_backend_alone() -> None:
    rows = {line.split("`")[1]: line for line in rules_table().splitlines() if line.startswith("| `")}
    assert "MySQL" not in rows["squawk"] and "PostgreSQL" in rows["squawk"]
    assert "SQLite" not in rows["identifier-too-long"]
    assert all(label in rows["drop-table"] for label in ("SQLite", "PostgreSQL", "MySQL"))
