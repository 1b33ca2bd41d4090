"""users.email with its unique constraint

Revision ID: 55221d9084c8
Revises: 440fdbe0fe66
Create Date: 2026-11-24 22:11:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "55221d9084c8"
down_revision: str | Sequence[str] | None = "440fdbe0fe66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table("users", sa.column("username", sa.String), sa.column("email", sa.String))


def users_table(*, email_nullable: bool, email_unique: bool) -> sa.Table | None:
    """The users table at this revision, for batch mode in `--sql` runs, where SQLite cannot be reflected.

    Online, batch mode reflects the live table instead (None), which is always exact.
    """
    if not context.is_offline_mode():
        return None
    constraints = [sa.UniqueConstraint("email", name="uq_users_email")] if email_unique else []
    return sa.Table(
        "users",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("hashed_password", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email", sa.String(length=100), nullable=email_nullable),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        *constraints,
    )


def upgrade() -> None:
    """Add users.email: nullable first, backfill existing users, then NOT NULL and unique.

    Adding a NOT NULL column in one step fails on a table that already has rows.
    """
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=100), nullable=True))
    op.execute(users.update().where(users.c.email.is_(None)).values(email=users.c.username + "@users.invalid"))
    with op.batch_alter_table("users", copy_from=users_table(email_nullable=True, email_unique=False)) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])


def downgrade() -> None:
    """Drop the named unique constraint, then the column (the seed README's drop_constraint(None) cannot run)."""
    with op.batch_alter_table("users", copy_from=users_table(email_nullable=False, email_unique=True)) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.drop_column("email")
