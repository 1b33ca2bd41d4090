"""`schema-tools roundtrip`: upgrade, downgrade, upgrade every revision on a scratch database."""

from __future__ import annotations

import argparse

from ..roundtrip import roundtrip
from .common import EXIT_CHANGES, EXIT_OK, Subparsers, add_config, config_of, progress_printer


def register(subparsers: Subparsers) -> None:
    """Add `roundtrip` to the CLI."""
    parser = subparsers.add_parser(
        "roundtrip",
        help="stairway every revision on a scratch database of the same backend",
        description="Never touches --url itself: a scratch database is made next to it. Exit 0: all pass; 1: not.",
    )
    parser.add_argument("--url", help="the backend to test on (default: a temporary SQLite file)")
    parser.add_argument("--no-seed", action="store_true", help="do not insert rows before each step")
    add_config(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the lab and print its report; exit 1 when any revision does not round-trip."""
    report = roundtrip(args.url, config=config_of(args), seed_rows=not args.no_seed, progress=progress_printer(args))
    print(report)
    return EXIT_OK if report.ok else EXIT_CHANGES
