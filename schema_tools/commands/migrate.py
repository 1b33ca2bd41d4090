"""`schema-tools upgrade` and `schema-tools downgrade`: guarded migrations with a backup first."""

from __future__ import annotations

import argparse
from typing import Any

from ..cli import EXIT_OK
from .common import add_config, add_url


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    add_config(parser)
    parser.add_argument("--no-backup", action="store_true", help="skip the backup taken before migrating")
    parser.add_argument("--backup-dir", help="where backups go (default: backups/ next to a SQLite file, or ./backups)")
    parser.add_argument("--allow-data-loss", action="store_true", help="run revisions that drop tables or columns")


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("upgrade", help="upgrade with a backup first; failures roll back or are reported")
    up.add_argument("target", nargs="?", default="head", help="revision to upgrade to (default: head)")
    _add_common(up)
    up.set_defaults(func=run, direction="upgrade")
    down = subparsers.add_parser("downgrade", help="downgrade with a backup first; drops need --allow-data-loss")
    down.add_argument("target", help="revision, -1 or base")
    _add_common(down)
    down.set_defaults(func=run, direction="downgrade")


def run(args: argparse.Namespace) -> int:
    from ..migrate import downgrade, upgrade
    from ..settings import alembic_config

    config = alembic_config(args.config) if args.config else None
    function = upgrade if args.direction == "upgrade" else downgrade
    report = function(
        args.url, args.target, backup=not args.no_backup, allow_data_loss=args.allow_data_loss,
        config=config, backup_dir=args.backup_dir,
    )  # fmt: skip
    print(report)
    return EXIT_OK
