"""`schema-tools status`: the database's revision against the scripts' heads."""

from __future__ import annotations

import argparse
import json
import sys

from .common import EXIT_CHANGES, EXIT_OK, Subparsers, add_config, add_metadata, add_url, config_of, metadata_of


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="is the database at the scripts' head?",
        description="Exit 0: up to date; 1: behind, unknown revision or several heads; 2: error.",
    )
    add_url(parser)
    add_metadata(parser)
    add_config(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..status import require_known, status

    config = config_of(args)
    result = status(args.url, metadata=metadata_of(args, config), config=config)
    require_known(result)
    if args.format == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(result)
    return EXIT_OK if result.up_to_date else EXIT_CHANGES
