"""The `schema-tools` command: parses arguments, calls the API, maps errors to one line and an exit code."""

from __future__ import annotations

import argparse
import atexit
import errno
import gc
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from alembic.util.exc import CommandError
from sqlalchemy import exc as sa_exc

from .commands import COMMANDS
from .commands.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK
from .connect import mask_text
from .errors import SchemaToolsError

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "build_parser", "main"]


def _version() -> str:
    try:
        return version("schema-tools")
    except PackageNotFoundError:
        return "unknown"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: what is wrong and where the help is, then exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="schema-tools",
        description="Diff, draft, lint, draw and migrate a SQLAlchemy + Alembic database.",
    )
    parser.add_argument("--version", action="version", version=f"schema-tools {_version()}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(subparsers)
    for command in subparsers.choices.values():  # --debug works after the command name too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _fail(message: str, *urls: object) -> int:
    text = mask_text(" ".join(message.split()), *[url for url in urls if isinstance(url, str) and url])
    print(f"schema-tools: error: {text}", file=sys.stderr)
    return EXIT_ERROR


def _os_error(error: OSError) -> str:
    """An OSError as what the user can fix: the file, the reason."""
    where = f" {error.filename}" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return f"no room to write{where} ({error.strerror}): free space or pick another folder; nothing was changed"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not allowed to write{where} ({error.strerror}): pick a writable path"
    if error.errno == errno.ENOENT:
        return f"no such file or folder:{where}: check the path"
    if error.errno == errno.EISDIR:
        return f"{where.strip()} is a folder: give a file name"
    return f"{error.strerror or error}{where}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; results go to stdout, messages to stderr; exit 0 ok, 1 findings, 2 error."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a one-line argument error
        return int(stop.code or 0) if isinstance(stop.code, int) else EXIT_ERROR
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    url = getattr(args, "url", None)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `schema-tools diff --format json | head`: the reader left; not an error
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("schema-tools: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        return _fail(_message(error), url)


def run() -> NoReturn:
    """The `schema-tools` console script: main(), then an exit that skips the interpreter's teardown.

    A command that read 10,000 tables leaves millions of objects: the last full collection walked them for 6 s
    after `check` had printed its answer, and freeing them one by one took 1.2 s more. gc.freeze() puts them out
    of the collector's reach; then the exit handlers run (logs flushed, temporary folders removed) and the process
    ends without freeing what the OS frees anyway. With another thread still running, the normal exit waits for it.
    """
    code = main()
    gc.freeze()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left, or a stream main() closed
            pass
    os._exit(code)


def _message(error: BaseException) -> str:
    """One line for any error: ours as they are, Alembic's and the driver's with their first line."""
    if isinstance(error, SchemaToolsError):
        return str(error)
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, sa_exc.DBAPIError):
        first = str(getattr(error, "orig", error)).strip().splitlines()
        return f"database error: {first[0] if first else type(error).__name__}"
    if isinstance(error, OSError):
        return _os_error(error)
    text = str(error).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"unexpected {type(error).__name__}{detail} (rerun with --debug for the traceback, and report it)"


if __name__ == "__main__":
    sys.exit(main())
