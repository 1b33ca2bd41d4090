"""The fleet check on Celery: real Redis and RabbitMQ brokers, real `schema-tools worker` processes, real databases."""

from __future__ import annotations

import io
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool
from support_celery import PROJECT_ROOT, SCHEMA_TOOLS, STARTUP, Worker, clean_broker, start_workers
from support_fleet_gate import GATE_ENV

from management_server.fleet_examples import copy_of_schema
from schema_tools import downgrade, upgrade
from schema_tools.connect import mask_url
from schema_tools.fleet import FleetEntry, fleet
from schema_tools.fleet_celery import QUEUE_ENV, VISIBILITY_ENV, celery_executor
from schema_tools.fleet_types import Job, run_job
from tests.support_project import HEAD, Project

MODELS = "management_server.models:Base.metadata"
GATE_MODELS = "tests.support_fleet_gate:metadata"  # the management models, behind the gate in the test's workers
SESSION = f"st-fleet-{os.getpid()}-{uuid.uuid4().hex[:6]}"  # queues of parallel test sessions never mix
SECRET = "fl33t-s3cret:pw@x"


@pytest.fixture(scope="module")
def fleet_urls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Six SQLite databases in every state: at the head (twice), behind, drifted, empty, and missing."""
    folder = tmp_path_factory.mktemp("fleet")
    head = folder / "head.db"
    upgrade(f"sqlite:///{head}", backup=False)
    for name in ("twin.db", "behind.db", "drifted.db"):
        shutil.copy(head, folder / name)
    downgrade(f"sqlite:///{folder / 'behind.db'}", "-1", backup=False, allow_data_loss=True)
    with sqlite3.connect(folder / "drifted.db") as connection:
        connection.execute("ALTER TABLE bots ADD COLUMN nickname TEXT")
    (folder / "empty.db").write_bytes(b"")
    names = ("head.db", "twin.db", "behind.db", "drifted.db", "empty.db", "gone/missing.db")
    return [f"sqlite:///{folder / name}" for name in names]


@pytest.fixture(scope="module")
def redis_pair(redis_broker_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Worker]]]:
    """Two worker processes on Redis, on this session's own queue."""
    queue = f"{SESSION}-pair"
    workers = start_workers(redis_broker_url, queue, tmp_path_factory.mktemp("pair"), ("a", "b"))
    yield queue, workers
    for worker in workers:
        worker.stop()
    clean_broker(redis_broker_url, queue)


def without_seconds(entries: list[FleetEntry] | tuple[FleetEntry, ...]) -> list[FleetEntry]:
    return [replace(entry, seconds=0.0) for entry in entries]


def test_the_fleet_on_two_redis_workers_equals_the_local_pool(
    fleet_urls: list[str], redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    queue, _ = redis_pair
    local = fleet(fleet_urls, MODELS, workers=1)
    remote = fleet(fleet_urls, MODELS, executor=celery_executor(redis_broker_url, queue=queue))
    assert without_seconds(remote.entries) == without_seconds(local.entries)
    # the comparison covers every state a database can be in
    assert [(e.reachable, e.behind, e.drifted) for e in local.entries] == [
        (True, False, False),
        (True, False, False),
        (True, True, True),  # behind, so it also differs from the models
        (True, False, True),
        (True, None, True),
        (False, None, False),
    ]


def test_workers_see_a_revision_added_between_two_fleets(
    redis_broker_url: str, redis_pair: tuple[str, list[Worker]], tmp_path: Path
) -> None:
    """A worker process keeps the head it loaded for its next tasks (fleet_cache): one added since is still seen."""
    queue, _ = redis_pair
    app = Project(tmp_path / "app")
    urls = [f"sqlite:///{tmp_path / f'bot{number}.db'}" for number in range(6)]
    for url in urls:
        copy_of_schema(url)
    settled = time.time() - 3600  # files changed an hour ago: the workers keep what they read from them
    for path in [app.root / "alembic.ini", *app.versions.glob("*.py")]:
        os.utime(path, (settled, settled))
    run = celery_executor(redis_broker_url, queue=queue)
    before = fleet(urls, MODELS, config=str(app.root / "alembic.ini"), executor=run)
    assert {(entry.head, entry.behind) for entry in before.entries} == {(HEAD, False)}
    added = app.add_revision("ffff00000001", HEAD, "pass")
    os.utime(added, (settled, settled))  # only the new file name tells the workers
    after = fleet(urls, MODELS, config=str(app.root / "alembic.ini"), executor=run)
    assert {(entry.head, entry.behind) for entry in after.entries} == {("ffff00000001", True)}


def test_the_fleet_over_rabbitmq_equals_the_local_pool(
    fleet_urls: list[str], amqp_broker_url: str, tmp_path: Path
) -> None:
    queue = f"{SESSION}-amqp"
    workers = start_workers(amqp_broker_url, queue, tmp_path, ("rabbit",), concurrency=2)
    try:
        remote = fleet(fleet_urls, MODELS, executor=celery_executor(amqp_broker_url, queue=queue))
    finally:
        for worker in workers:
            worker.stop()
        clean_broker(amqp_broker_url, queue)
    local = fleet(fleet_urls, MODELS, workers=1)
    assert without_seconds(remote.entries) == without_seconds(local.entries)
    assert "schema_tools.fleet.check[" in workers[0].text()  # the RabbitMQ worker did the checks


@pytest.mark.parametrize("broker_fixture", ["redis_broker_url", "amqp_broker_url"])
def test_a_worker_killed_mid_check_has_its_task_finished_by_the_other_and_counted_once(
    fleet_urls: list[str], broker_fixture: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The first job's models wait at a gate in the workers; the worker holding it is SIGKILLed there, so the
    task was delivered twice (to each worker once) yet the fleet has one entry per database, equal to the local.
    RabbitMQ hands the task on when the dead worker's connection drops; Redis after the visibility timeout."""
    broker: str = request.getfixturevalue(broker_fixture)
    queue, gate = f"{SESSION}-kill-{broker_fixture}", tmp_path / "gate"
    gate.mkdir()
    workers = start_workers(broker, queue, tmp_path, ("a", "b"), **{GATE_ENV: str(gate), VISIBILITY_ENV: "5"})
    jobs = [Job(fleet_urls[0], GATE_MODELS)] + [Job(url, MODELS) for url in fleet_urls[1:]]
    try:
        with ThreadPoolExecutor(max_workers=1) as caller:
            running = caller.submit(celery_executor(broker, queue=queue, timeout=120), jobs)
            deadline = time.monotonic() + STARTUP
            while not (held := sorted(gate.glob("held-*"))):
                assert time.monotonic() < deadline and not running.done(), "no worker took the gated check"
                time.sleep(0.05)
            victim = next(w for w in workers if held[0].name == f"held-{w.name}")
            victim.kill()
            (gate / "open").touch()
            entries = running.result(timeout=300)
    finally:
        (gate / "open").touch()
        for worker in workers:
            worker.stop()
        clean_broker(broker, queue)
    survivor = next(w for w in workers if w is not victim)
    assert {path.name for path in gate.glob("held-*")} == {f"held-{victim.name}", f"held-{survivor.name}"}
    assert victim.process.returncode == -signal.SIGKILL
    local = [run_job(job) for job in jobs]  # no gate in this process
    assert len(entries) == len(jobs)
    assert without_seconds(entries) == without_seconds(local)


@pytest.fixture
def password_url(postgres_url: URL) -> Iterator[URL]:
    """A PostgreSQL database at the head, read by a role that logs in with a password."""
    upgrade(postgres_url, backup=False)
    role = f"st_fleet_{os.getpid()}"
    admin = sa.create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
        connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    yield postgres_url.set(username=role, password=SECRET)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE {role}")
    admin.dispose()


def test_worker_logs_never_show_a_database_password(
    password_url: URL, redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    queue, workers = redis_pair
    url = password_url.render_as_string(hide_password=False)
    escaped = url.split("://")[1].rpartition("@")[0].partition(":")[2]  # the password as the URL spells it
    report = fleet([url], MODELS, executor=celery_executor(redis_broker_url, queue=queue))
    (entry,) = report.entries
    assert entry.reachable and entry.error is None and entry.behind is False and not entry.drifted
    logs = "".join(worker.text() for worker in workers)
    assert f"'url': '{mask_url(url)}'" in logs  # the task's arguments as logged: their masked repr
    for spelling in (SECRET, escaped):
        assert spelling not in logs
        assert spelling not in report.to_json()


def test_models_a_worker_cannot_import_stop_the_fleet_in_one_line(
    fleet_urls: list[str], redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    from schema_tools.errors import ConfigurationError

    queue, _ = redis_pair
    jobs = [Job(fleet_urls[0], "no_such_app.models:metadata")]
    with pytest.raises(
        ConfigurationError, match="a worker could not check sqlite:///head.db: cannot import module 'no_such_app"
    ):
        celery_executor(redis_broker_url, queue=queue)(jobs)


def test_a_database_no_worker_finished_in_time_is_reported_and_the_fleet_goes_on(
    fleet_urls: list[str], redis_broker_url: str, tmp_path: Path
) -> None:
    queue, gate = f"{SESSION}-late", tmp_path / "gate"
    gate.mkdir()
    workers = start_workers(redis_broker_url, queue, tmp_path, ("late",), concurrency=2, **{GATE_ENV: str(gate)})
    jobs = [Job(fleet_urls[0], GATE_MODELS), Job(fleet_urls[1], MODELS)]  # the first waits until the gate opens
    try:
        entries = celery_executor(redis_broker_url, queue=queue, timeout=10)(jobs)
    finally:
        (gate / "open").touch()
        workers[0].stop()
        clean_broker(redis_broker_url, queue)
    assert [(e.database, e.reachable, e.error) for e in entries] == [
        ("sqlite:///head.db", False, "no Celery worker finished the check within 10 s"),
        ("sqlite:///twin.db", True, None),
    ]


def test_every_worker_log_line_has_its_url_passwords_masked() -> None:
    """Celery at DEBUG logs raw message bodies: the worker's log handlers mask URL passwords in any line."""
    from schema_tools.fleet_celery import _mask_worker_logs

    stream = io.StringIO()
    logger = logging.getLogger(f"{SESSION}.masked")
    logger.addHandler(logging.StreamHandler(stream))
    _mask_worker_logs(logger)
    logger.error("body %s", b'[[], {"url": "postgresql+psycopg://bot:hunter2@db:5432/trades"}]')
    assert stream.getvalue() == """body b'[[], {"url": "postgresql+psycopg://bot:***@db:5432/trades"}]'\n"""


def test_no_worker_on_the_queue_is_one_line_at_once(redis_broker_url: str) -> None:
    from schema_tools.errors import ConnectionFailed

    queue = f"{SESSION}-nobody"
    try:
        with pytest.raises(ConnectionFailed, match="no schema-tools worker answers"):
            celery_executor(redis_broker_url, queue=queue)([Job("sqlite:///nowhere.db", MODELS)])
    finally:
        clean_broker(redis_broker_url, queue)


def test_a_broker_that_is_neither_redis_nor_rabbitmq_is_one_line_without_its_password() -> None:
    result = subprocess.run(
        [SCHEMA_TOOLS, "worker", "--broker", "kafka://bot:hunter2@127.0.0.1:9092"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "neither Redis nor RabbitMQ" in result.stderr
    assert "hunter2" not in result.stderr and "kafka://bot:***@" in result.stderr


def test_the_queue_comes_from_the_environment_for_celery_a(monkeypatch: pytest.MonkeyPatch) -> None:
    from schema_tools.fleet_celery import make_app

    monkeypatch.setenv(QUEUE_ENV, "from-env")
    assert make_app("redis://127.0.0.1:6379/0").conf.task_default_queue == "from-env"
    assert make_app("amqp://guest:guest@127.0.0.1:5672//").conf.result_backend == "rpc://"
