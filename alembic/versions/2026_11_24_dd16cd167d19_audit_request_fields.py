"""audit log request fields with their indexes

Revision ID: dd16cd167d19
Revises: 2aefc3d92de3
Create Date: 2026-11-24 22:14:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "dd16cd167d19"
down_revision: str | Sequence[str] | None = "2aefc3d92de3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("http_method", "path", "status_code")


def audit_logs_table() -> sa.Table | None:
    """The audit_logs table at this revision, for batch mode in `--sql` runs, where SQLite cannot be reflected."""
    if not context.is_offline_mode():
        return None
    return sa.Table(
        "audit_logs",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=50), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("http_method", sa.String(length=10), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_audit_logs_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_logs"),
        sa.Index("ix_audit_logs_username", "username"),
        sa.Index("ix_audit_logs_user_id", "user_id"),
    )


def upgrade() -> None:
    """Record where each request came from and how it ended; index what the audit views filter on."""
    with op.batch_alter_table("audit_logs") as batch_op:
        batch_op.add_column(sa.Column("ip_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("http_method", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("status_code", sa.Integer(), nullable=True))
    for column in INDEXED:
        op.create_index(op.f(f"ix_audit_logs_{column}"), "audit_logs", [column], unique=False)


def downgrade() -> None:
    """Drop the indexes, then the columns."""
    for column in INDEXED:
        op.drop_index(op.f(f"ix_audit_logs_{column}"), table_name="audit_logs")
    with op.batch_alter_table("audit_logs", copy_from=audit_logs_table()) as batch_op:
        batch_op.drop_column("status_code")
        batch_op.drop_column("path")
        batch_op.drop_column("http_method")
        batch_op.drop_column("ip_address")
