"""`schema-tools erd`: draw the models, a live database, a revision or the pending diff to a file."""

from __future__ import annotations

import argparse
import sys

from ..diff import diff
from ..drawing import Diagram, Drawable, erd
from ..settings import load_metadata
from ..sources import SchemaSource
from .common import EXIT_OK, add_metadata


def _names(text: str | None) -> list[str] | None:
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "erd",
        help="draw an ER diagram (.svg, .png, .dot or .mmd)",
        description="Draw the models (default), a live database, a revision, or the diff of models and database.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="draw a live database, reflected read-only")
    source.add_argument("--models", action="store_true", help="draw the models (the default)")
    source.add_argument("--revision", help="draw the schema at a revision id (built in a scratch SQLite database)")
    source.add_argument(
        "--diff", action="store_true", help="draw the models' diff against the database ($DATABASE_URL, or --target)"
    )
    parser.add_argument("--target", help="with --diff: the database URL (default: $DATABASE_URL)")
    add_metadata(parser)
    parser.add_argument("--focus", help="a table to centre on, with its neighbours")
    parser.add_argument("--depth", type=int, default=1, help="with --focus: how many foreign keys away (default 1)")
    parser.add_argument("--tables", help="comma-separated tables to draw")
    parser.add_argument("--exclude", help="comma-separated tables to leave out")
    parser.add_argument("--indexes", action="store_true", help="list indexes and unique constraints")
    parser.add_argument("--no-types", action="store_true", help="leave out column types")
    parser.add_argument("--rankdir", choices=("LR", "RL", "TB", "BT"), default="LR")
    parser.add_argument("-o", "--output", required=True, help="output file: .svg, .png, .dot or .mmd")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source: SchemaSource | Drawable | Diagram
    if args.diff:
        source = diff(args.metadata, args.target)
    elif args.url:
        source = args.url
    elif args.revision:
        source = args.revision
    else:
        source = load_metadata(args.metadata)
    diagram = erd(
        source,
        tables=_names(args.tables),
        exclude=_names(args.exclude),
        focus=args.focus,
        depth=args.depth,
        show_types=not args.no_types,
        show_indexes=args.indexes,
        rankdir=args.rankdir,
    )
    path = diagram.save(args.output)
    print(diagram.summary)
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK
