"""Settings of the management server, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./freqtrade.db"


def _database_url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    """The server's settings; `DATABASE_URL` in the environment overrides the embedded SQLite default."""

    DATABASE_URL: str = field(default_factory=_database_url_from_env)

    @property
    def database_url_from_environment(self) -> bool:
        """True when DATABASE_URL was set explicitly, so it must win over alembic.ini."""
        return bool(os.environ.get("DATABASE_URL"))


settings = Settings()
