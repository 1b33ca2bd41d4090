"""`schema-tools lint`: the lint rules over revision files, and the data-loss guard's verdict on each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..lint_revisions import lint
from .common import EXIT_CHANGES, EXIT_OK, add_config, add_url, config_of


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="lint revision files; each says how it was judged (its operations, or its effect on a scratch database)",
        description="Exit 0: no error findings; 1: an error finding (a revision that cannot be judged is one); "
        "2: an error. A revision that only calls op.* is read offline; any other is run on a scratch database "
        "(of --url's backend, else SQLite) at its parent revision and judged by its effect.",
    )
    parser.add_argument("revision", nargs="?", help="a revision id (default: the head)")
    parser.add_argument("--all", action="store_true", help="every revision from base to head")
    parser.add_argument("--downgrade", action="store_true", help="lint downgrade() instead of upgrade()")
    parser.add_argument("--dialect", default=None, help="rules for this dialect (default: the URL's, else postgresql)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_url(parser, help="a database for live counts; effects are measured on a scratch database on its server")
    add_config(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reports = lint(
        args.revision or "head",
        url=args.url,
        config=config_of(args),
        every=args.all,
        downgrade=args.downgrade,
        dialect=args.dialect,
    )
    if args.format == "json":
        json.dump([report.to_dict() for report in reports], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n\n".join(str(report) for report in reports))
    return EXIT_CHANGES if any(report.errors for report in reports) else EXIT_OK
