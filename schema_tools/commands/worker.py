"""`schema-tools worker`: a Celery worker that runs the checks of `schema-tools fleet --celery BROKER_URL`."""

from __future__ import annotations

import argparse
import os

from .common import EXIT_OK, Subparsers

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a Celery worker for `schema-tools fleet --celery BROKER_URL` (Redis or RabbitMQ)",
        description="Consume the fleet's checks from the broker, a chunk of databases per task, until stopped "
        "(Ctrl-C or SIGTERM finish the running checks first). Run it in the app's folder, with the app's models "
        "importable. "
        "The same worker: `SCHEMA_TOOLS_BROKER_URL=URL celery -A schema_tools.fleet_celery:app worker`.",
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("SCHEMA_TOOLS_BROKER_URL"),
        help="redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672// (default: $SCHEMA_TOOLS_BROKER_URL)",
    )
    parser.add_argument(
        "--result-backend",
        help="where results go (default: the Redis broker itself; rpc:// with RabbitMQ); callers must use the same",
    )
    parser.add_argument("--concurrency", type=int, help="checks at once, one process each (default: the CPUs)")
    parser.add_argument("--queue", help="the queue to consume (default: $SCHEMA_TOOLS_CELERY_QUEUE or the fleet's)")
    parser.add_argument("--loglevel", default="INFO", choices=LOG_LEVELS, type=str.upper, help="default: INFO")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError

    if not args.broker:
        raise ConfigurationError("no broker: pass --broker redis://127.0.0.1:6379/0 or set SCHEMA_TOOLS_BROKER_URL")
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigurationError(f"--concurrency must be at least 1, not {args.concurrency}")
    from ..fleet_celery import make_app, worker_argv

    app = make_app(args.broker, result_backend=args.result_backend, queue=args.queue)
    app.worker_main(worker_argv(concurrency=args.concurrency, loglevel=args.loglevel))
    return EXIT_OK
