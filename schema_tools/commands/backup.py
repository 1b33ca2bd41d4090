"""`schema-tools backup` and `schema-tools restore`: consistent backups per backend."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..backup import backup, restore
from ..connect import resolve_url
from ..errors import ConfigurationError
from ..sources import describe
from .common import EXIT_OK, Subparsers, add_url


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("backup", help="back up the database (SQLite backup API, pg_dump, mysqldump)")
    add_url(parser)
    parser.add_argument(
        "-o", "--output", help="backup file (default: a new uniquely named file next to the SQLite file, "
        "or in --backup-dir, or in the working directory)",
    )  # fmt: skip
    parser.add_argument("--backup-dir", help="a folder for a new uniquely named backup (instead of -o)")
    parser.set_defaults(func=run_backup)
    restore_parser = subparsers.add_parser("restore", help="replace the database's contents with a backup")
    restore_parser.add_argument("path", help="the backup file")
    add_url(restore_parser)
    restore_parser.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    """Print the new backup's summary: where it is, its revision, tables and rows."""
    if args.output and args.backup_dir:
        raise ConfigurationError("give either -o FILE or --backup-dir FOLDER, not both")
    if args.backup_dir:
        Path(args.backup_dir).mkdir(parents=True, exist_ok=True)  # as upgrade does with its --backup-dir
    print(backup(args.url, args.output, directory=args.backup_dir))
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    """Restore, then say which database now holds the backup."""
    restore(args.path, args.url)
    print(f"restored {describe(resolve_url(args.url))} from {args.path}")
    return EXIT_OK
