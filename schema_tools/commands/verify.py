"""`schema-tools verify`: applied revisions whose files were edited (or removed) after they ran."""

from __future__ import annotations

import argparse

from .common import EXIT_CHANGES, EXIT_OK, Subparsers, add_config, add_url, config_of


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="find applied revisions whose files changed since they ran (Flyway/Liquibase-style checksums)",
        description="Exit 0: every applied revision file is the one that ran; 1: edited or missing; 2: error "
        "(including a database stamped with a revision no file has).",
    )
    add_url(parser)
    add_config(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..checksums import verify

    report = verify(args.url, config=config_of(args))
    print(report)
    return EXIT_OK if report.ok else EXIT_CHANGES
