"""`schema-tools history`: the revision graph as text (like `alembic history --verbose`) or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..history import history
from .common import EXIT_OK, add_config, config_of


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("history", help="the revision graph: heads, branch points, merges, current")
    parser.add_argument("--url", help="mark this database's current revision (default: the app's database, if set)")
    add_config(parser)
    parser.add_argument("--format", choices=("text", "svg"), default="text")
    parser.add_argument("-o", "--output", help="write to this file instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = history(args.url, config=config_of(args))
    text = result.svg() if args.format == "svg" else str(result)
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)
    return EXIT_OK
