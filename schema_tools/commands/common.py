"""Arguments several subcommands share: the database URL, the metadata target and alembic.ini."""

from __future__ import annotations

import argparse


def add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: $DATABASE_URL, else the management server's settings)")


def add_metadata(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metadata",
        help="models as module:attribute (default: management_server.models:Base.metadata)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="path to alembic.ini (default: ./alembic.ini)")
