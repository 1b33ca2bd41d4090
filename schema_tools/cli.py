"""The `schema-tools` command: parses arguments, calls the API, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from alembic.util.exc import CommandError
from sqlalchemy import exc as sa_exc

from .connect import mask_text
from .errors import SchemaToolsError

# Each module in schema_tools/commands/ adds its subcommand through `register(subparsers)`.
COMMAND_MODULES = (
    "diff",
    "status",
    "draft",
    "lint",
    "erd",
    "backup",
    "migrate",
    "roundtrip",
    "history",
    "verify",
)

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def _version() -> str:
    try:
        return version("schema-tools")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="schema-tools",
        description="Diff, draft, lint, draw and migrate a SQLAlchemy + Alembic database.",
    )
    parser.add_argument("--version", action="version", version=f"schema-tools {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"schema_tools.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"schema_tools.commands.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def _fail(message: str, *urls: object) -> int:
    print(f"schema-tools: error: {mask_text(' '.join(message.split()), *[str(u) for u in urls if u])}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; results go to stdout, messages to stderr; exit 0 ok, 1 findings, 2 error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    url = getattr(args, "url", None)
    try:
        return int(args.func(args) or 0)
    except SchemaToolsError as error:
        return _fail(str(error), url)
    except CommandError as error:
        return _fail(f"{error}", url)
    except sa_exc.DBAPIError as error:
        first = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return _fail(f"database error: {first}", url)
    except BrokenPipeError:  # `schema-tools diff --format json | head`: the reader left; not an error
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("schema-tools: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
