"""`schema-tools backup` and `schema-tools restore`: consistent backups per backend."""

from __future__ import annotations

import argparse
from typing import Any

from ..cli import EXIT_OK
from .common import add_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("backup", help="back up the database (SQLite backup API, pg_dump, mysqldump)")
    add_url(parser)
    parser.add_argument("-o", "--output", help="backup file (default: next to the SQLite file, or DBNAME.dump/.sql)")
    parser.set_defaults(func=run_backup)
    restore = subparsers.add_parser("restore", help="replace the database's contents with a backup")
    restore.add_argument("path", help="the backup file")
    add_url(restore)
    restore.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from ..backup import backup

    print(backup(args.url, args.output))
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    from ..backup import restore
    from ..sources import describe

    restore(args.path, args.url)
    print(f"restored {describe(args.url)} from {args.path}")
    return EXIT_OK
