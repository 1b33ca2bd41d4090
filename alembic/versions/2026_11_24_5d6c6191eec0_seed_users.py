"""seed an admin and a regular user

Revision ID: 5d6c6191eec0
Revises: 55221d9084c8
Create Date: 2026-11-24 22:12:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5d6c6191eec0"
down_revision: str | Sequence[str] | None = "55221d9084c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "!" is an unusable password hash (as in /etc/shadow): nobody can log in until a password is set
# through the server, so no known credential ships with the schema.
UNUSABLE_PASSWORD = "!"

SEED_USERS = [
    {
        "username": "admin",
        "email": "admin@freqtrade.invalid",
        "hashed_password": UNUSABLE_PASSWORD,
        "full_name": "Administrator",
        "is_active": True,
        "is_superuser": True,
    },
    {
        "username": "trader",
        "email": "trader@freqtrade.invalid",
        "hashed_password": UNUSABLE_PASSWORD,
        "full_name": "Regular Trader",
        "is_active": True,
        "is_superuser": False,
    },
]

users = sa.table(
    "users",
    sa.column("username", sa.String(50)),
    sa.column("email", sa.String(100)),
    sa.column("hashed_password", sa.String(200)),
    sa.column("full_name", sa.String(100)),
    sa.column("is_active", sa.Boolean()),
    sa.column("is_superuser", sa.Boolean()),
)


def upgrade() -> None:
    """Insert the two seed users."""
    op.bulk_insert(users, SEED_USERS)


def downgrade() -> None:
    """Delete exactly the seeded rows, matched on username and e-mail, and nothing else."""
    for row in SEED_USERS:
        op.execute(users.delete().where(users.c.username == row["username"]).where(users.c.email == row["email"]))
