"""The fleet check on Celery: real Redis and RabbitMQ brokers, real `schema-tools worker` processes, real databases."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from sqlalchemy.engine import URL
from support_celery import PROJECT_ROOT, SCHEMA_TOOLS, STARTUP, Worker, clean_broker, start_workers
from support_fleet_gate import GATE_ENV

from management_server.fleet_examples import copy_of_schema
from schema_tools import downgrade, upgrade
from schema_tools.connect import mask_url
from schema_tools.fleet import FleetEntry, fleet
from schema_tools.fleet_celery import (
    CHUNK_TASK_NAME,
    QUEUE_ENV,
    TASK_NAME,
    VISIBILITY_ENV,
    celery_executor,
    chunk_size,
    make_app,
)
from schema_tools.fleet_chunks import MAX_CHUNK
from schema_tools.fleet_types import Job, run_job
from tests.support_project import HEAD, Project
from tests.support_roles import login_role

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


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every task message this process publishes: its name, kwargs and the kwargsrepr that logs and Flower show."""
    messages: list[dict[str, Any]] = []

    def record(body: Any, headers: dict[str, Any], **_: Any) -> None:
        messages.append({"task": headers["task"], "kwargs": body[1], "kwargsrepr": headers["kwargsrepr"]})

    signals.before_task_publish.connect(record, weak=False)
    yield messages
    signals.before_task_publish.disconnect(record)


def received(worker: Worker, task: str = CHUNK_TASK_NAME) -> list[str]:
    """The ids of the tasks a worker's log says it received."""
    return re.findall(rf"{re.escape(task)}\[([0-9a-f-]+)\] received", worker.text())


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


def test_a_fleet_of_many_chunks_has_each_database_once_in_order(
    fleet_urls: list[str],
    redis_broker_url: str,
    redis_pair: tuple[str, list[Worker]],
    published: list[dict[str, Any]],
) -> None:
    """40 databases (the six states, named apart) in chunks by the default rule: one entry each, in fleet order."""
    queue, _ = redis_pair
    local = without_seconds(fleet(fleet_urls, MODELS, workers=1).entries)
    jobs = [Job(fleet_urls[number % 6], MODELS, name=f"db-{number:02}") for number in range(40)]
    entries = celery_executor(redis_broker_url, queue=queue)(jobs)
    expected = [replace(local[number % 6], database=f"db-{number:02}") for number in range(40)]
    assert without_seconds(entries) == expected
    chunks = [message["kwargs"]["jobs"] for message in published if message["task"] == CHUNK_TASK_NAME]
    assert 1 < len(chunks) < len(jobs) and max(len(chunk) for chunk in chunks) <= MAX_CHUNK
    assert [sent for chunk in chunks for sent in chunk] == [asdict(job) for job in jobs]  # each job sent once


def test_a_chunk_shows_every_url_with_its_password_masked(
    redis_broker_url: str, redis_pair: tuple[str, list[Worker]], published: list[dict[str, Any]]
) -> None:
    """Three servers with passwords, none listening, in one chunk: its kwargsrepr masks each; only the kwargs
    (which a worker needs to connect) hold them."""
    queue, workers = redis_pair
    passwords = [f"pw-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    urls = [f"postgresql+psycopg://bot{n}:{pw}@127.0.0.1:1/trades{n}" for n, pw in enumerate(passwords)]
    entries = celery_executor(redis_broker_url, queue=queue, chunk=3)([Job(url, MODELS) for url in urls])
    assert [entry.reachable for entry in entries] == [False, False, False]
    (message,) = published
    assert [job["url"] for job in message["kwargs"]["jobs"]] == urls
    for url, password in zip(urls, passwords, strict=True):
        assert f"'url': '{mask_url(url)}'" in message["kwargsrepr"]
        assert password not in message["kwargsrepr"]
        assert password not in "".join(worker.text() for worker in workers)
        assert all(password not in repr(entry) for entry in entries)


def test_a_caller_of_the_single_job_task_is_still_served(
    fleet_urls: list[str], redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    """A caller of the version before chunks sends one job per `schema_tools.fleet.check` task: still answered."""
    queue, workers = redis_pair
    app = make_app(redis_broker_url, queue=queue)
    try:
        result = app.tasks[TASK_NAME].apply_async(kwargs=asdict(Job(fleet_urls[3], MODELS)))
        value = result.get(timeout=STARTUP)
        result.forget()
    finally:
        app.close()
    assert value | {"seconds": 0.0} == run_job(Job(fleet_urls[3], MODELS)).to_dict() | {"seconds": 0.0}
    assert any(result.id in received(worker, TASK_NAME) for worker in workers)


def test_chunks_are_about_eight_per_worker_process_at_most_25_jobs() -> None:
    assert [chunk_size(databases, 2) for databases in (0, 10, 31, 32, 100, 500, 10_000)] == [1, 1, 1, 2, 6, 25, 25]
    assert [chunk_size(500, processes) for processes in (0, 1, 8, 64)] == [25, 25, 7, 1]


def test_the_worker_processes_on_the_queue_are_counted(
    redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    from schema_tools.fleet_workers import control_connection, worker_processes

    queue, _ = redis_pair
    app = make_app(redis_broker_url, queue=queue)
    try:
        with control_connection(app) as connection:
            counts = [worker_processes(app, connection) for _ in range(3)]  # a reply later than the window: missed
    finally:
        app.close()
    assert max(counts) == 2 and min(counts) >= 1  # two workers of one process each


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


def in_new_process(script: str, *arguments: object) -> Any:
    """What `script` prints as JSON, run in a new Python process given `arguments` as JSON; a hang fails by timeout."""
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(arguments)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


AFTER_CELERY = """
import json, sys
from schema_tools.fleet import fleet
from schema_tools.fleet_celery import celery_executor
urls, broker, queue = json.loads(sys.argv[1])
remote = fleet(urls, "management_server.models:Base.metadata", executor=celery_executor(broker, queue=queue))
local = fleet(urls, "management_server.models:Base.metadata", workers=2)
print(json.dumps([[entry.to_dict() | {"seconds": 0} for entry in report.entries] for report in (remote, local)]))
"""


def test_a_local_pool_after_a_celery_fleet_in_the_same_process_finishes(
    fleet_urls: list[str], redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    """A fleet big enough to count the workers (a stats broadcast that ends on its timeout), then a local pool:
    kombu's after-fork hook used to close the inherited broker pool in each forked child, whose read of the
    Redis reply still on its way blocked that child, and the caller with it, forever."""
    queue, _ = redis_pair
    urls = fleet_urls * 3  # 18 databases: enough that the caller counts the worker processes first
    remote, local = in_new_process(AFTER_CELERY, urls, redis_broker_url, queue)
    assert remote == local and len(local) == 18


AFTER_PING = """
import json, sys
from celery import Celery
from schema_tools.fleet import fleet
urls, broker, queue = json.loads(sys.argv[1])
app = Celery("users_own_app", broker=broker, set_as_current=False)
app.conf.control_exchange = queue
assert app.control.ping(timeout=0.3) == []  # no worker: it ends on its timeout, a Redis BRPOP still waiting
report = fleet(urls, "management_server.models:Base.metadata", workers=2)
print(json.dumps([entry.to_dict() | {"seconds": 0} for entry in report.entries]))
"""


def test_a_local_pool_after_the_callers_own_celery_ping_finishes(fleet_urls: list[str], redis_broker_url: str) -> None:
    """A notebook that pinged its own Celery workers, then checks a fleet locally: kombu's after-fork hook would
    read the ping's pending Redis reply in each pool process and wait forever; the pool holds those hooks back."""
    assert in_new_process(AFTER_PING, fleet_urls, redis_broker_url, f"{SESSION}-own-ping") == [
        entry.to_dict() | {"seconds": 0} for entry in fleet(fleet_urls, MODELS, workers=1).entries
    ]


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
    assert received(workers[0])  # the RabbitMQ worker did the checks


@pytest.mark.parametrize("broker_fixture", ["redis_broker_url", "amqp_broker_url"])
def test_a_worker_killed_mid_check_has_its_task_finished_by_the_other_and_counted_once(
    fleet_urls: list[str], broker_fixture: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two chunks of three jobs; the first job's models wait at a gate in the workers, and the worker holding that
    chunk is SIGKILLed there, so the chunk was delivered twice (to each worker once) yet the fleet has one entry
    per database, equal to the local. RabbitMQ hands the chunk on when the dead worker's connection drops; Redis
    after the visibility timeout."""
    broker: str = request.getfixturevalue(broker_fixture)
    queue, gate = f"{SESSION}-kill-{broker_fixture}", tmp_path / "gate"
    gate.mkdir()
    workers = start_workers(broker, queue, tmp_path, ("a", "b"), **{GATE_ENV: str(gate), VISIBILITY_ENV: "5"})
    jobs = [Job(fleet_urls[0], GATE_MODELS)] + [Job(url, MODELS) for url in fleet_urls[1:]]
    try:
        with ThreadPoolExecutor(max_workers=1) as caller:
            running = caller.submit(celery_executor(broker, queue=queue, timeout=120, chunk=3), jobs)
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
    (held_chunk,) = received(victim)  # the victim held one chunk: three jobs, the gated one first
    assert held_chunk in received(survivor) and len(received(survivor)) == 2  # the survivor ran both chunks
    local = [run_job(job) for job in jobs]  # no gate in this process
    assert len(entries) == len(jobs)
    assert without_seconds(entries) == without_seconds(local)


@pytest.fixture
def password_url(postgres_url: URL) -> Iterator[URL]:
    """A PostgreSQL database at the head, read by a role that logs in with a password."""
    upgrade(postgres_url, backup=False)
    with login_role(postgres_url, SECRET, ["SELECT ON ALL TABLES IN SCHEMA public"], prefix="st_fleet") as url:
        yield url


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


@pytest.mark.parametrize("position", [0, 1])
def test_models_a_worker_cannot_import_stop_the_fleet_in_one_line_naming_the_database(
    position: int, fleet_urls: list[str], redis_broker_url: str, redis_pair: tuple[str, list[Worker]]
) -> None:
    """Alone in its task, or second in a chunk of three: the line names the database whose check raised."""
    from schema_tools.errors import ConfigurationError

    queue, _ = redis_pair
    jobs = [Job(url, MODELS) for url in fleet_urls[:3]]
    jobs[position] = Job(fleet_urls[position], "no_such_app.models:metadata")
    label = ("head.db", "twin.db")[position]
    with pytest.raises(
        ConfigurationError, match=rf"^a worker could not check sqlite:///{label}: cannot import module 'no_such_app"
    ):
        celery_executor(redis_broker_url, queue=queue, chunk=1 + 2 * position)(jobs[: 1 + 2 * position])


def test_a_database_no_worker_finished_in_time_is_reported_and_the_fleet_goes_on(
    fleet_urls: list[str], redis_broker_url: str, tmp_path: Path
) -> None:
    queue, gate = f"{SESSION}-late", tmp_path / "gate"
    gate.mkdir()
    workers = start_workers(redis_broker_url, queue, tmp_path, ("late",), concurrency=2, **{GATE_ENV: str(gate)})
    # the first waits until the gate opens; a chunk of two holds the second with it, the third is a chunk alone
    jobs = [Job(fleet_urls[0], GATE_MODELS), Job(fleet_urls[1], MODELS), Job(fleet_urls[2], MODELS)]
    try:
        entries = celery_executor(redis_broker_url, queue=queue, timeout=10, chunk=2)(jobs)
    finally:
        (gate / "open").touch()
        workers[0].stop()
        clean_broker(redis_broker_url, queue)
    late = "no Celery worker finished the check within 10 s"
    assert [(e.database, e.reachable, e.error) for e in entries] == [
        ("sqlite:///head.db", False, late),
        ("sqlite:///twin.db", False, late),  # never started: its chunk did not finish
        ("sqlite:///behind.db", True, None),
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
