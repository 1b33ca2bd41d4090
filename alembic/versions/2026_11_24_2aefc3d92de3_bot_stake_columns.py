"""move bots' stake settings out of the config JSON into columns

Revision ID: 2aefc3d92de3
Revises: 5d6c6191eec0
Create Date: 2026-11-24 22:13:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "2aefc3d92de3"
down_revision: str | Sequence[str] | None = "5d6c6191eec0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Set-based SQL per dialect, so the move also renders offline (`alembic upgrade --sql`).
# Only values that fit move: a string of at most 10 characters, and a number (Freqtrade also allows
# stake_amount: "unlimited", which stays in config). A moved key is removed from config.
UPGRADE_SQL = {
    "sqlite": [
        "UPDATE bots SET stake_currency = json_extract(config, '$.stake_currency') "
        "WHERE json_type(config, '$.stake_currency') = 'text' "
        "AND length(json_extract(config, '$.stake_currency')) <= 10",
        "UPDATE bots SET stake_amount = json_extract(config, '$.stake_amount') "
        "WHERE json_type(config, '$.stake_amount') IN ('integer', 'real')",
        "UPDATE bots SET config = json_remove(config, '$.stake_currency') WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = json_remove(config, '$.stake_amount') WHERE stake_amount IS NOT NULL",
    ],
    "postgresql": [
        "UPDATE bots SET stake_currency = config ->> 'stake_currency' "
        "WHERE json_typeof(config -> 'stake_currency') = 'string' "
        "AND char_length(config ->> 'stake_currency') <= 10",
        "UPDATE bots SET stake_amount = (config ->> 'stake_amount')::double precision "
        "WHERE json_typeof(config -> 'stake_amount') = 'number'",
        "UPDATE bots SET config = (config::jsonb - 'stake_currency')::json WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = (config::jsonb - 'stake_amount')::json WHERE stake_amount IS NOT NULL",
    ],
    "mysql": [
        "UPDATE bots SET stake_currency = JSON_UNQUOTE(JSON_EXTRACT(config, '$.stake_currency')) "
        "WHERE JSON_TYPE(JSON_EXTRACT(config, '$.stake_currency')) = 'STRING' "
        "AND CHAR_LENGTH(JSON_UNQUOTE(JSON_EXTRACT(config, '$.stake_currency'))) <= 10",
        "UPDATE bots SET stake_amount = JSON_EXTRACT(config, '$.stake_amount') "
        "WHERE JSON_TYPE(JSON_EXTRACT(config, '$.stake_amount')) IN "
        "('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')",
        "UPDATE bots SET config = JSON_REMOVE(config, '$.stake_currency') WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = JSON_REMOVE(config, '$.stake_amount') WHERE stake_amount IS NOT NULL",
    ],
}

DOWNGRADE_SQL = {
    "sqlite": [
        "UPDATE bots SET config = json_set(coalesce(config, '{}'), '$.stake_currency', stake_currency) "
        "WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = json_set(coalesce(config, '{}'), '$.stake_amount', stake_amount) "
        "WHERE stake_amount IS NOT NULL",
    ],
    "postgresql": [
        "UPDATE bots SET config = (coalesce(config::jsonb, '{}'::jsonb) "
        "|| jsonb_build_object('stake_currency', stake_currency))::json WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = (coalesce(config::jsonb, '{}'::jsonb) "
        "|| jsonb_build_object('stake_amount', stake_amount))::json WHERE stake_amount IS NOT NULL",
    ],
    "mysql": [
        "UPDATE bots SET config = JSON_SET(coalesce(config, '{}'), '$.stake_currency', stake_currency) "
        "WHERE stake_currency IS NOT NULL",
        "UPDATE bots SET config = JSON_SET(coalesce(config, '{}'), '$.stake_amount', stake_amount) "
        "WHERE stake_amount IS NOT NULL",
    ],
}


def bots_table() -> sa.Table | None:
    """The bots table at this revision, for batch mode in `--sql` runs, where SQLite cannot be reflected."""
    if not context.is_offline_mode():
        return None
    return sa.Table(
        "bots",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("strategy_name", sa.String(length=100), nullable=False),
        sa.Column("exchange", sa.String(length=50), nullable=False),
        sa.Column("max_open_trades", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'stopped'"), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("restart_required", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("freqai_model_id", sa.Integer(), nullable=True),
        sa.Column("total_trades", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("profitable_trades", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_profit", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_drawdown", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stake_currency", sa.String(length=10), nullable=True),
        sa.Column("stake_amount", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_bots"),
        sa.UniqueConstraint("name", name="uq_bots_name"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_bots_created_by_users"),
        sa.ForeignKeyConstraint(
            ["freqai_model_id"], ["freqai_models.id"], name="fk_bots_freqai_model_id_freqai_models"
        ),
    )


def _statements(per_dialect: dict[str, list[str]]) -> list[str]:
    name = op.get_context().dialect.name
    return per_dialect["mysql" if name == "mariadb" else name]


def upgrade() -> None:
    """Add stake_currency and stake_amount, and move each bot's values there from config."""
    with op.batch_alter_table("bots") as batch_op:
        batch_op.add_column(sa.Column("stake_currency", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("stake_amount", sa.Double(), nullable=True))
    for statement in _statements(UPGRADE_SQL):
        op.execute(statement)


def downgrade() -> None:
    """Put the values back into config, then drop the columns."""
    for statement in _statements(DOWNGRADE_SQL):
        op.execute(statement)
    with op.batch_alter_table("bots", copy_from=bots_table()) as batch_op:
        batch_op.drop_column("stake_amount")
        batch_op.drop_column("stake_currency")
