"""`schema-tools diff` and `schema-tools check`: the models against the live database, read-only."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_CHANGES, EXIT_OK, add_config, add_metadata, add_url, config_of, metadata_of


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


def _print(result: Any, fmt: str) -> None:
    if fmt == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(result)


def run_diff(args: argparse.Namespace) -> int:
    from ..cold_diff import without_gc_pauses

    # A short-lived command: reading 10,000 models and their catalog makes millions of objects, which reference
    # counting frees; the cyclic collector's passes over them would cost a third of the run.
    with without_gc_pauses():
        return _diff(args)


def _diff(args: argparse.Namespace) -> int:
    from ..diff import diff

    config = config_of(args)
    source: Any = getattr(args, "source", None) or metadata_of(args, config)
    result = diff(source, args.url, config=config)
    _print(result, args.format)
    # Across backends, a diff of dialect differences only (the same schema spelled twice) is not a change.
    return EXIT_CHANGES if result.real() else EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from ..cold_diff import without_gc_pauses

    with without_gc_pauses():  # as run_diff
        return _check(args)


def _check(args: argparse.Namespace) -> int:
    from ..diff import diff
    from ..status import require_known, status

    config = config_of(args)
    models = metadata_of(args, config)
    state = status(args.url, metadata=models, config=config)
    require_known(state)
    result = diff(models, args.url, config=config)
    _print(result, args.format)
    if result:
        if state.pending:
            advice = (
                f"the database is {len(state.pending)} revision(s) behind the scripts, so some of these may be "
                "revisions not yet applied: run 'schema-tools upgrade' (alembic upgrade head) first, then check again"
            )
        else:
            advice = "run 'alembic revision --autogenerate -m \"...\"' (or schema-tools draft)"
        print(
            f"schema-tools: check failed: {len(result)} change(s) not covered by a revision: {advice}",
            file=sys.stderr,
        )
        return EXIT_CHANGES
    return EXIT_OK
