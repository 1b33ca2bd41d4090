"""`schema-tools fleet`: many databases against the models and the head; exit 1 when any is off, for CI."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from .common import EXIT_CHANGES, EXIT_OK, Subparsers, add_config

CELERY_MODULE = "schema_tools.fleet_celery"


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers takes a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--workers takes a number of at least 1")
    return value


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "fleet",
        help="check many databases at once: reachable, revision against head, drift against the models",
        description="Check every database of a fleet file (one URL per line; `name = url`; `name = url | "
        "module:attribute` for its own models; # comments) against the models and the scripts' head, in a "
        "local process pool. Exit 0: every database reachable, at head and matching; 1: any is unreachable, "
        "behind or drifted, or its check failed; 2: bad input.",
    )
    parser.add_argument("--urls", required=True, metavar="FILE", help="the fleet file")
    parser.add_argument(
        "--models",
        help="the models as module:attribute, for lines without their own "
        "(default: $SCHEMA_TOOLS_METADATA, else metadata under [tool.schema-tools])",
    )
    add_config(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--changes", action="store_true", help="list each database's changes, not only counts")
    parser.add_argument("--workers", type=_workers, help="processes in the local pool (default: the CPUs)")
    parser.add_argument("--celery", metavar="BROKER_URL", help="run each database as a Celery task on the workers")
    parser.set_defaults(func=run)


def _models(args: argparse.Namespace) -> str:
    """--models, else $SCHEMA_TOOLS_METADATA, else the app's configured metadata: a string a worker can import."""
    from ..config import METADATA_ENV, find_project
    from ..errors import ConfigurationError

    project = find_project(config=args.config) if args.config else find_project()
    spec = args.models or os.environ.get(METADATA_ENV) or project.metadata
    if not spec:
        raise ConfigurationError(
            "no models to check the fleet against: pass --models module:attribute, or set metadata under "
            "[tool.schema-tools]"
        )
    return str(spec)


def _celery_executor(broker_url: str) -> Callable[[list[Any]], list[Any]]:
    """The Celery executor of schema_tools.fleet_celery, or one line saying Celery support is missing."""
    from ..connect import mask_text
    from ..errors import ConfigurationError, ConnectionFailed

    try:
        module = importlib.import_module(CELERY_MODULE)
    except ModuleNotFoundError as error:
        missing = error.name or "celery"
        raise ConfigurationError(
            f"Celery support is not installed ({missing} is missing): install celery and a broker client "
            "(pip install 'celery[redis]'), or leave out --celery to use the local pool"
        ) from None
    try:
        executor: Callable[[list[Any]], list[Any]] = module.celery_executor(broker_url)
    except Exception as error:  # the broker URL may hold a password: one masked line
        raise ConfigurationError(mask_text(f"cannot use the Celery broker: {error}", broker_url)) from None

    def masked(jobs: list[Any]) -> list[Any]:
        try:
            return executor(jobs)
        except Exception as error:
            raise ConnectionFailed(mask_text(f"the Celery run failed: {error}", broker_url)) from None

    return masked


def run(args: argparse.Namespace) -> int:
    from ..fleet import fleet

    models = _models(args)
    executor = _celery_executor(args.celery) if args.celery else None
    report = fleet(
        args.urls,
        models,
        config=args.config,
        with_changes=args.changes,
        workers=args.workers,
        executor=executor,
    )
    sys.stdout.write(report.to_json() if args.format == "json" else f"{report}\n")
    return EXIT_OK if report.ok else EXIT_CHANGES
