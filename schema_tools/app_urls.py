"""The app's database URL in the one order every command uses: --url, then $url-env, then alembic.ini."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL

from .dialects import backend_of
from .errors import ConfigurationError
from .urls import parse_url

ALEMBIC_PLACEHOLDER = "driver://user:pass@localhost/dbname"


def resolve_sqlite_path(url: URL, base: Path) -> URL:
    """A database-file URL whose relative file path is taken relative to `base`; other URLs unchanged."""
    if not backend_of(url).file_based:
        return url
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if path.is_absolute():
        return url
    return url.set(database=str((base / path).resolve()))


def ini_url(alembic_ini: Path | None) -> str | None:
    """sqlalchemy.url from an alembic.ini, with %(here)s filled in (None when unset)."""
    if alembic_ini is None:
        return None
    config = Config(str(alembic_ini))
    try:
        value = config.get_main_option("sqlalchemy.url")
    except Exception:  # configparser's message would echo the URL, password included
        raise ConfigurationError(
            f"cannot read sqlalchemy.url from {alembic_ini}: a % in it must be written %% in an ini file"
        ) from None
    text = (value or "").strip().strip('"').strip("'")
    return text or None


def url_in_order(
    explicit: str | URL | None, *, url_env: str, root: Path, alembic_ini: Path | None, ini_base: Path
) -> URL:
    """`explicit`, then $url_env, then alembic.ini's sqlalchemy.url (relative files from `ini_base`), else an error.

    A relative database file path in --url or $url_env means a file in the app's folder (`root`).
    """
    if explicit is not None and str(explicit).strip():
        return resolve_sqlite_path(parse_url(explicit), root)
    from_env = os.environ.get(url_env, "").strip()
    if from_env:
        return resolve_sqlite_path(parse_url(from_env), root)
    from_ini = ini_url(alembic_ini)
    if from_ini and from_ini != ALEMBIC_PLACEHOLDER and not from_ini.startswith("driver://"):
        return resolve_sqlite_path(parse_url(from_ini), ini_base)
    where = f"sqlalchemy.url in {alembic_ini}" if alembic_ini else "an alembic.ini with sqlalchemy.url"
    placeholder = " (it holds Alembic's placeholder)" if from_ini else ""
    raise ConfigurationError(f"no database URL: pass --url, set ${url_env}, or set {where}{placeholder}")
