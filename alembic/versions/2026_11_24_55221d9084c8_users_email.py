"""users.email with its unique constraint

Revision ID: 55221d9084c8
Revises: 440fdbe0fe66
Create Date: 2026-11-24 22:11:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "55221d9084c8"
down_revision: str | Sequence[str] | None = "440fdbe0fe66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table("users", sa.column("username", sa.String), sa.column("email", sa.String))


def upgrade() -> None:
    """Add users.email: nullable first, backfill existing users, then NOT NULL and unique.

    Adding a NOT NULL column in one step fails on a table that already has rows.
    """
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=100), nullable=True))
    op.execute(users.update().where(users.c.email.is_(None)).values(email=users.c.username + "@users.invalid"))
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])


def downgrade() -> None:
    """Drop the named unique constraint, then the column (the seed README's drop_constraint(None) cannot run)."""
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.drop_column("email")
