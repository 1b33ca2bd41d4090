"""A PostgreSQL login role with a password, for the tests that check a password never shows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool


@contextmanager
def login_role(admin_url: URL, password: str, grants: Sequence[str], prefix: str = "st_role") -> Iterator[URL]:
    """`admin_url` as a new role that logs in with `password` and holds `grants` ("SELECT ON parent", ...).

    The password goes to the server as a quoted literal, so any character works; the role and what it owns
    are dropped afterwards.
    """
    role = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            raw = connection.connection.driver_connection
            assert isinstance(raw, psycopg.Connection)
            create = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
            raw.execute(create)
            for grant in grants:
                connection.exec_driver_sql(f"GRANT {grant} TO {role}")
        yield admin_url.set(username=role, password=password)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()
