"""Shared fixtures: the three backends with per-test scratch databases, and the Alembic config."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from schema_tools.settings import alembic_config as make_alembic_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "SCHEMA_TOOLS_TEST_POSTGRES_URL"
MYSQL_ENV = "SCHEMA_TOOLS_TEST_MYSQL_URL"
# The Celery brokers of tests/test_fleet_celery.py (Redis and RabbitMQ; .ci/run starts them).
REDIS_ENV = "SCHEMA_TOOLS_TEST_REDIS_URL"
AMQP_ENV = "SCHEMA_TOOLS_TEST_AMQP_URL"
BACKENDS = ("sqlite", "postgresql", "mysql")
_SERVER_ENV = {"postgresql": POSTGRES_ENV, "mysql": MYSQL_ENV}


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true":
        missing = [name for name in (POSTGRES_ENV, MYSQL_ENV, REDIS_ENV, AMQP_ENV) if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError(f"CI=true needs every backend, but {', '.join(missing)} is unset")


class ScratchServer:
    """One database server; makes empty scratch databases named per session and drops them at the end."""

    def __init__(self, backend: str, admin_url: URL) -> None:
        self.backend = backend
        self.admin_url = admin_url
        self.session_tag = f"st_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []
        self.admin = sa.create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")

    def create(self) -> URL:
        name = f"{self.session_tag}_{len(self.created)}"
        with self.admin.connect() as connection:
            if self.backend == "postgresql":
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            else:
                connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        self.created.append(name)
        return self.admin_url.set(database=name)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                if self.backend == "postgresql":
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                else:
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        self.admin.dispose()


@pytest.fixture(scope="session")
def scratch_servers() -> Iterator[dict[str, ScratchServer]]:
    servers: dict[str, ScratchServer] = {}
    yield servers
    for server in servers.values():
        server.drop_all()


@pytest.fixture
def new_database(scratch_servers: dict[str, ScratchServer], tmp_path: Path) -> Callable[[str], URL]:
    """Factory: an empty database on `backend` ("sqlite", "postgresql", "mysql"); skips when unset."""
    counter = iter(range(1_000_000))

    def make(backend: str) -> URL:
        if backend == "sqlite":
            return make_url(f"sqlite:///{tmp_path / f'scratch_{next(counter)}.db'}")
        env = _SERVER_ENV[backend]
        raw = os.environ.get(env)
        if not raw:
            pytest.skip(f"{backend} tests skipped: set {env} (e.g. see README.md) to run them")
        if backend not in scratch_servers:
            scratch_servers[backend] = ScratchServer(backend, make_url(raw))
        return scratch_servers[backend].create()

    return make


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs once per backend."""
    return request.param


@pytest.fixture
def db_url(backend: str, new_database: Callable[[str], URL]) -> URL:
    """An empty scratch database on the parametrized backend."""
    return new_database(backend)


@pytest.fixture
def sqlite_url(new_database: Callable[[str], URL]) -> URL:
    return new_database("sqlite")


@pytest.fixture
def postgres_url(new_database: Callable[[str], URL]) -> URL:
    return new_database("postgresql")


@pytest.fixture
def mysql_url(new_database: Callable[[str], URL]) -> URL:
    return new_database("mysql")


def _broker(env: str, example: str) -> str:
    url = os.environ.get(env)
    if not url:
        pytest.skip(f"Celery broker tests skipped: set {env} (e.g. {example}) to run them")
    return url


@pytest.fixture(scope="session")
def redis_broker_url() -> str:
    """The Redis broker's URL; skips when unset (with CI=true an unset one stops the session)."""
    return _broker(REDIS_ENV, "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def amqp_broker_url() -> str:
    """The RabbitMQ broker's URL; skips when unset (with CI=true an unset one stops the session)."""
    return _broker(AMQP_ENV, "amqp://guest:guest@127.0.0.1:5672//")


# pytest-alembic: its built-in tests run against every backend through these two fixtures.
@pytest.fixture
def alembic_config():
    from pytest_alembic.config import Config

    return Config(alembic_config=make_alembic_config(PROJECT_ROOT / "alembic.ini"))


@pytest.fixture(params=BACKENDS)
def alembic_engine(request: pytest.FixtureRequest, new_database: Callable[[str], URL]) -> Iterator[sa.Engine]:
    engine = sa.create_engine(new_database(request.param), poolclass=NullPool)
    yield engine
    engine.dispose()
