"""What the subcommands share: exit codes, the URL/metadata/config arguments, and reading them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from alembic.config import Config
from sqlalchemy import MetaData

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2

# What each command module's register() adds its parsers to (argparse's own type for it).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

URL_HELP = "database URL (default: the app's URL variable, $DATABASE_URL unless configured, else alembic.ini)"


def add_url(parser: argparse.ArgumentParser, help: str = URL_HELP) -> None:
    parser.add_argument("--url", help=help)


def add_metadata(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metadata",
        help="the models as module:attribute (default: metadata under [tool.schema-tools] in pyproject.toml)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        help="the app's alembic.ini (default: found from the working directory upward, or [tool.schema-tools])",
    )


def config_of(args: argparse.Namespace, *, quiet: bool = True) -> Config:
    """The app's Alembic config: --config, else the one found from the working directory."""
    from ..config import alembic_config

    return alembic_config(getattr(args, "config", None), quiet=quiet)


def metadata_of(args: argparse.Namespace, config: Config | None = None) -> MetaData | None:
    """--metadata imported and checked (a typo is an error, never a revision id); None when not given."""
    spec = getattr(args, "metadata", None)
    if not spec:
        return None
    from ..config import load_metadata

    return load_metadata(spec, config=config)


def progress_printer(args: argparse.Namespace) -> Callable[[str], None]:
    """Progress lines on stderr, so stdout stays the result."""
    from ..runner import say

    return say
