"""initial tables

Revision ID: 440fdbe0fe66
Revises:
Create Date: 2026-11-24 22:10:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "440fdbe0fe66"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _task_result(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("celery_task_id", sa.String(length=100), nullable=True),
        sa.Column("strategy_name", sa.String(length=100), nullable=False),
        sa.Column("bot_config", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f(f"fk_{name}_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_celery_task_id"), name, ["celery_task_id"], unique=False)


def upgrade() -> None:
    """Create the server's tables; e-mail, stake columns and request fields come in later revisions."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("hashed_password", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "freqai_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("celery_task_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("file_path", sa.String(length=255), nullable=True),
        sa.Column("model_metadata", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("backtest_results", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_freqai_models_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freqai_models")),
        sa.UniqueConstraint("name", name=op.f("uq_freqai_models_name")),
    )
    op.create_index(op.f("ix_freqai_models_celery_task_id"), "freqai_models", ["celery_task_id"], unique=False)
    op.create_table(
        "bots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("strategy_name", sa.String(length=100), nullable=False),
        sa.Column("exchange", sa.String(length=50), nullable=False),
        sa.Column("max_open_trades", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'stopped'"), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("restart_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("freqai_model_id", sa.Integer(), nullable=True),
        sa.Column("total_trades", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("profitable_trades", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_profit", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_drawdown", sa.Double(), server_default=sa.text("0"), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_bots_created_by_users")),
        sa.ForeignKeyConstraint(
            ["freqai_model_id"], ["freqai_models.id"], name=op.f("fk_bots_freqai_model_id_freqai_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
        sa.UniqueConstraint("name", name=op.f("uq_bots_name")),
    )
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=20), server_default=sa.text("'1.0.0'"), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_strategies_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("name", name=op.f("uq_strategies_name")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=50), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_logs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_user_id"), "audit_logs", ["user_id"], unique=False)
    op.create_index(op.f("ix_audit_logs_username"), "audit_logs", ["username"], unique=False)
    _task_result("strategy_backtest_results")
    _task_result("hyperopt_results")


def downgrade() -> None:
    """Drop every table, children first; a table's indexes go with it.

    Dropping ix_audit_logs_user_id by itself fails on MySQL, where it backs the foreign key.
    """
    for name in (
        "hyperopt_results",
        "strategy_backtest_results",
        "audit_logs",
        "strategies",
        "bots",
        "freqai_models",
        "users",
    ):
        op.drop_table(name)
