"""`schema-tools snapshot`: write a database's schema as a stable, versioned JSON file to commit and diff."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, Subparsers, add_config, config_of


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "snapshot",
        help="write a database's schema as a stable JSON snapshot (a source for diff, erd and draft)",
        description="Record the schema of a live database (--url), a revision (--revision) or an older snapshot "
        "file (--url FILE.json, upgraded to the current format) as JSON. Exit 0: written; 2: error.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="the database URL, or a .json snapshot to upgrade (default: the app's database)")
    source.add_argument("--revision", help="the schema at a revision id, built in a scratch SQLite database")
    add_config(parser)
    parser.add_argument("-o", "--output", help="the .json file to write (default: standard output)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..snapshot import snapshot

    taken = snapshot(args.revision or args.url, config=config_of(args))
    if not args.output:
        sys.stdout.write(taken.to_json())
        return EXIT_OK
    path = taken.write(args.output)
    revision = ", ".join(taken.revision) or "no revision"
    print(f"wrote {path}: {len(taken.tables)} tables, {len(taken.views)} views, {revision}", file=sys.stderr)
    return EXIT_OK
