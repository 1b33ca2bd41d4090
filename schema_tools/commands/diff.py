"""`schema-tools diff` and `schema-tools check`: the models against the live database, read-only."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli import EXIT_CHANGES, EXIT_OK
from ..diff import diff
from .common import add_config, add_metadata, add_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show what autogenerate would change to make the database match the models",
        description="Diff the models (or --source) against the live database. "
        "Exit 0: no changes; 1: changes; 2: error.",
    )
    _add_common(parser)
    parser.add_argument(
        "--source",
        help="compare against another database URL or a revision id instead of the models",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(func=run_diff)

    check = subparsers.add_parser(
        "check",
        help="CI gate: fail when autogenerate would produce operations (alembic check, readable)",
        description="Like 'alembic check' with a readable table. Exit 0: models match; 1: changes; 2: error.",
    )
    _add_common(check)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(func=run_check)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    add_metadata(parser)
    add_config(parser)


def _config(args: argparse.Namespace) -> Any:
    from ..settings import alembic_config

    return alembic_config(args.config) if args.config else None


def _print(result: Any, fmt: str) -> None:
    if fmt == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(result)


def run_diff(args: argparse.Namespace) -> int:
    source = getattr(args, "source", None) or args.metadata
    result = diff(source, args.url, config=_config(args))
    _print(result, args.format)
    return EXIT_CHANGES if result else EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from ..status import require_known, status

    require_known(status(args.url, metadata=args.metadata, config=_config(args)))
    result = diff(args.metadata, args.url, config=_config(args))
    _print(result, args.format)
    if result:
        print(
            f"schema-tools: check failed: {len(result)} change(s) not covered by a revision: "
            "run 'alembic revision --autogenerate -m \"...\"' (or schema-tools draft)",
            file=sys.stderr,
        )
        return EXIT_CHANGES
    return EXIT_OK
