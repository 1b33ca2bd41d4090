"""The fleet check on Celery: chunks of databases as tasks on the workers, the results collected by task id."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from celery import Celery, signals
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult
from kombu.exceptions import OperationalError

from .changes import RISKS
from .connect import mask_text, mask_url
from .errors import ConfigurationError, ConnectionFailed
from .fleet_chunks import JobFailed, check_many, chunk_size
from .fleet_types import FleetEntry, Job, run_job
from .fleet_workers import REDIS_SCHEMES, chunk_for, control_connection, require_worker, scheme
from .labels import describe

__all__ = [
    "BACKEND_ENV",
    "BROKER_ENV",
    "CHUNK_TASK_NAME",
    "JobFailed",
    "QUEUE_ENV",
    "TASK_NAME",
    "VISIBILITY_ENV",
    "app",
    "celery_executor",
    "chunk_size",
    "entry_from_dict",
    "make_app",
    "worker_argv",
]

TASK_NAME = "schema_tools.fleet.check"  # one job per task: what callers before chunks send, still served
CHUNK_TASK_NAME = "schema_tools.fleet.check_many"  # a list of jobs per task: what celery_executor sends
BROKER_ENV = "SCHEMA_TOOLS_BROKER_URL"  # the broker of `celery -A schema_tools.fleet_celery:app worker`
BACKEND_ENV = "SCHEMA_TOOLS_RESULT_BACKEND"  # optional: where results go (default: Redis itself, or rpc://)
QUEUE_ENV = "SCHEMA_TOOLS_CELERY_QUEUE"  # optional: the queue callers and workers share
VISIBILITY_ENV = "SCHEMA_TOOLS_CELERY_VISIBILITY_TIMEOUT"  # Redis: seconds before a lost task is redelivered
DEFAULT_QUEUE = "schema-tools-fleet"
# Redis redelivers an unacknowledged task (its worker died) only after this many seconds. Kombu's default is an
# hour, longer than the caller waits; a check takes seconds, so five minutes loses nothing and retries in time.
DEFAULT_VISIBILITY = 300.0
_BROKER_SCHEMES = (*REDIS_SCHEMES, "amqp", "amqps", "pyamqp")
Executor = Callable[[list[Job]], list[FleetEntry]]


def _default_backend(broker_url: str) -> str:
    """Redis keeps the results next to the tasks; RabbitMQ sends them back to the caller (rpc://)."""
    return broker_url if scheme(broker_url) in REDIS_SCHEMES else "rpc://"


def _visibility() -> float:
    raw = os.environ.get(VISIBILITY_ENV)
    try:
        return float(raw) if raw else DEFAULT_VISIBILITY
    except ValueError:
        raise ConfigurationError(f"{VISIBILITY_ENV}={raw!r} is not a number of seconds") from None


def make_app(broker_url: str, *, result_backend: str | None = None, queue: str | None = None) -> Celery:
    """A Celery app for the fleet: JSON only, late acks, a lost worker's task requeued, one task per worker process.

    Callers and workers must make it with the same broker and queue. On Redis every key carries the queue as its
    prefix, so the short visibility timeout never redelivers another app's long tasks from the same database.
    """
    if scheme(broker_url) not in _BROKER_SCHEMES:
        raise ConfigurationError(
            f"the broker {mask_url(broker_url)} is neither Redis nor RabbitMQ: "
            "use redis://host:6379/0 or amqp://host:5672//"
        )
    queue = queue or os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE
    app = Celery("schema_tools.fleet", set_as_current=False)
    transport: dict[str, Any] = {}
    if scheme(broker_url) in REDIS_SCHEMES:
        visibility = _visibility()
        transport = {"visibility_timeout": visibility, "global_keyprefix": f"{queue}:"}
        # Kombu sweeps for lost tasks every interval x throttle seconds (100 by default): sweep every few seconds.
        transport |= {"unacked_restore_interval": max(1, min(10, int(visibility / 3))), "unacked_restore_throttle": 1}
    app.conf.update(
        broker_url=broker_url,
        result_backend=result_backend or os.environ.get(BACKEND_ENV) or _default_backend(broker_url),
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,  # acknowledged after the check: a worker killed mid-check leaves it on the broker
        task_reject_on_worker_lost=True,  # a pool process killed mid-check: requeued, not marked failed
        task_acks_on_failure_or_timeout=False,
        worker_prefetch_multiplier=1,  # a worker holds only the tasks it runs, so the others can take the rest
        task_default_queue=queue,
        control_exchange=queue,  # ping reaches only the workers of this queue
        result_expires=3600,
        worker_hijack_root_logger=True,
    )
    app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)(_check)
    app.task(name=CHUNK_TASK_NAME, acks_late=True, reject_on_worker_lost=True)(check_many)
    return app


def _check(
    url: str, models: str, config_path: str | None = None, with_changes: bool = False, name: str | None = None
) -> dict[str, Any]:
    """The single-job task: check_one on the worker, returned as JSON (FleetEntry.to_dict)."""
    return run_job(Job(url, models, config_path, with_changes, name)).to_dict()


def entry_from_dict(values: dict[str, Any]) -> FleetEntry:
    """A FleetEntry from its to_dict() form (what a worker returns)."""
    return FleetEntry(
        database=values["database"],
        reachable=values["reachable"],
        error=values["error"],
        revision=values["revision"],
        head=values["head"],
        behind=values["behind"],
        changes=values["changes"],
        risks=dict(values["risks"]),
        details=tuple(dict(change) for change in values["details"]),
        seconds=values["seconds"],
    )


def _label(job: Job) -> str:
    if job.name:
        return job.name
    try:
        return describe(job.url)
    except Exception:  # a URL SQLAlchemy cannot parse is still shown, masked
        return mask_url(job.url)


def _not_finished(job: Job, timeout: float) -> FleetEntry:
    """The entry of a database no worker finished in time: reported like an unreachable one, the fleet goes on."""
    error = f"no Celery worker finished the check within {timeout:g} s"
    return FleetEntry(_label(job), False, error, None, None, None, 0, dict.fromkeys(RISKS, 0), (), timeout)


Sent = list[tuple[range, AsyncResult]]  # each task: the positions of its jobs in the fleet, and its result


def _submit(app: Celery, jobs: list[Job], size: int) -> Sent:
    """One task per chunk of `size` jobs, with its own id. The URLs must travel in the arguments, but their repr
    (what workers log, events and monitors such as Flower show) has every password masked."""
    task = app.tasks[CHUNK_TASK_NAME]
    sent = []
    for start in range(0, len(jobs), size):
        chunk = jobs[start : start + size]
        shown = repr({"jobs": [asdict(job) | {"url": mask_url(job.url)} for job in chunk]})
        kwargs = {"jobs": [asdict(job) for job in chunk]}
        result = task.apply_async(kwargs=kwargs, task_id=str(uuid.uuid4()), argsrepr="()", kwargsrepr=shown)
        sent.append((range(start, start + len(chunk)), result))
    return sent


def _failure(chunk: list[Job], error: object) -> ConfigurationError:
    """A task that raised: a caller's mistake every database would repeat (e.g. models the worker cannot import)."""
    job, text = chunk[0], " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, JobFailed) and 0 <= error.position < len(chunk):
        job, text = chunk[error.position], error.text
    return ConfigurationError(f"a worker could not check {_label(job)}: {mask_text(text, *(j.url for j in chunk))}")


def _collect(app: Celery, jobs: list[Job], sent: Sent, timeout: float) -> list[FleetEntry]:
    """Each job's entry by its task id and place in the chunk, in job order: a redelivered chunk has one id, so
    one entry per job, never two. Every job of a chunk no worker finished in time is reported as not finished."""
    deadline = time.monotonic() + timeout
    entries: dict[int, FleetEntry] = {}
    try:
        for positions, result in sent:
            try:
                values = result.get(timeout=max(deadline - time.monotonic(), 0.001), propagate=False)
            except CeleryTimeout:
                entries |= {index: _not_finished(jobs[index], timeout) for index in positions}
                continue
            if result.failed():
                raise _failure([jobs[index] for index in positions], result.result)
            for index, value in zip(positions, values, strict=True):
                entries[index] = entry_from_dict(value)  # keyed by job: a second delivery replaces, never adds
    finally:
        unfinished = [result.id for _, result in sent if not result.ready()]
        if unfinished:
            app.control.revoke(unfinished)  # workers drop them when they come; the caller no longer waits
        _forget([result for _, result in sent])
    return [entries[index] for index in range(len(jobs))]


def _forget(results: list[AsyncResult]) -> None:
    """Drop the collected results from the backend now rather than at result_expires."""
    for result in results:
        try:
            result.forget()
        except NotImplementedError:  # rpc:// keeps nothing to drop
            return


def celery_executor(
    broker_url: str,
    *,
    timeout: float = 600,
    result_backend: str | None = None,
    queue: str | None = None,
    chunk: int | None = None,
    processes: int | None = None,
) -> Executor:
    """An executor for fleet(): chunks of databases as tasks on the workers, the entries back in job order.

    `timeout` bounds the whole fleet: a database no worker finished by then is reported as not checked. `chunk`
    fixes the jobs per task; else chunk_size() of the fleet and `processes` (default: counted on the queue).
    The app is made here, once: a broker URL that is neither Redis nor RabbitMQ, or a Redis broker without
    redis-py, is one line now rather than at the first fleet; the result backend and the broker's client
    library are loaded now (redis-py's import alone takes about 0.2 s) and every fleet of this executor reuses
    them, with the broker connections kombu keeps.
    """
    app = make_app(broker_url, result_backend=result_backend, queue=queue)
    app.connection_for_write()  # resolves the broker's transport, importing its client (no connection yet)
    app.backend  # noqa: B018 - resolves the result backend (no connection yet): a per-thread cached attribute

    def run(jobs: list[Job]) -> list[FleetEntry]:
        try:
            with control_connection(app) as control:
                require_worker(app, broker_url, control)
                size = chunk if chunk and chunk > 0 else chunk_for(app, control, len(jobs), processes)
            return _collect(app, jobs, _submit(app, jobs, size), timeout)
        except OperationalError as error:
            raise ConnectionFailed(
                f"the Celery broker {mask_url(broker_url)} is not reachable: {mask_text(str(error), broker_url)}"
            ) from None

    return run


def worker_argv(*, concurrency: int | None = None, loglevel: str = "INFO") -> list[str]:
    """The `celery worker` arguments of `schema-tools worker`: a unique node name, no gossip or mingle chatter."""
    argv = ["worker", f"--loglevel={loglevel}", f"--hostname=schema-tools-{os.getpid()}@%h"]
    argv += ["--without-gossip", "--without-mingle"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    return argv


class _MaskPasswords(logging.Filter):
    """Masks URL passwords in every worker log line: at DEBUG, Celery logs each task's raw message body."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask_text(text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


def _mask_worker_logs(logger: logging.Logger, **_: Any) -> None:
    for handler in logger.handlers:
        if not any(isinstance(existing, _MaskPasswords) for existing in handler.filters):
            handler.addFilter(_MaskPasswords())


signals.after_setup_logger.connect(_mask_worker_logs, weak=False)
signals.after_setup_task_logger.connect(_mask_worker_logs, weak=False)


# `celery -A schema_tools.fleet_celery:app worker` reads the broker from $SCHEMA_TOOLS_BROKER_URL.
app = make_app(os.environ.get(BROKER_ENV) or "redis://127.0.0.1:6379/0")
