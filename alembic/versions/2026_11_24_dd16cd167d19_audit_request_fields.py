"""audit log request fields with their indexes

Revision ID: dd16cd167d19
Revises: 2aefc3d92de3
Create Date: 2026-11-24 22:14:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "dd16cd167d19"
down_revision: str | Sequence[str] | None = "2aefc3d92de3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("http_method", "path", "status_code")


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
    with op.batch_alter_table("audit_logs") as batch_op:
        batch_op.drop_column("status_code")
        batch_op.drop_column("path")
        batch_op.drop_column("http_method")
        batch_op.drop_column("ip_address")
