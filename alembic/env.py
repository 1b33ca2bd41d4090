"""Alembic environment of the management server: SQLite, PostgreSQL and MySQL/MariaDB, sync or async URLs."""

from logging.config import fileConfig

from alembic import context

import management_server.models  # noqa: F401  (imports every model, so autogenerate sees all tables)
from management_server.models import Base
from schema_tools.environment import run_migrations

config = context.config

# Logging comes from alembic.ini when run from the alembic CLI; schema_tools and tests turn it off.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

run_migrations(context, target_metadata)
