"""`schema-tools upgrade` and `schema-tools downgrade`: guarded migrations through the app's env.py."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, Subparsers, add_config, add_url, config_of, progress_printer


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    add_config(parser)
    parser.add_argument("--no-backup", action="store_true", help="skip the backup taken before migrating")
    parser.add_argument(
        "--backup-dir", help="where backups go (default: backup-dir in [tool.schema-tools], else backups/ beside "
        "a SQLite file, else backups/ in the app's folder)"
    )  # fmt: skip
    parser.add_argument(
        "--ddl-lock-timeout", type=float, metavar="SECONDS",
        help="give up a lock wait after SECONDS instead of queueing every later query (default: ddl-lock-timeout "
        "in [tool.schema-tools], else 5; 0: no limit)",
    )  # fmt: skip
    parser.add_argument(
        "--statement-timeout", type=float, metavar="SECONDS", help="stop any statement after SECONDS (0: no limit)"
    )
    parser.add_argument(
        "--ddl-retries", type=int, metavar="N", help="retry a revision whose lock wait gave up N times (default 3)"
    )
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="run revisions that drop tables or columns, narrow types, delete rows, or cannot be judged",
    )


def register(subparsers: Subparsers) -> None:
    up = subparsers.add_parser("upgrade", help="upgrade with a backup first; failures are reported exactly")
    up.add_argument("target", nargs="?", default="head", help="revision to upgrade to: an id, +N or head (default)")
    _add_common(up)
    up.set_defaults(func=run, direction="upgrade")
    down = subparsers.add_parser("downgrade", help="downgrade with a backup first; drops need --allow-data-loss")
    down.add_argument("target", help="revision to downgrade to: an id, -N or base")
    _add_common(down)
    down.set_defaults(func=run, direction="downgrade")


def run(args: argparse.Namespace) -> int:
    from ..migrate import downgrade, upgrade

    function = upgrade if args.direction == "upgrade" else downgrade
    report = function(
        args.url, args.target, backup=not args.no_backup, allow_data_loss=args.allow_data_loss,
        config=config_of(args), backup_dir=args.backup_dir, progress=progress_printer(args),
        ddl_lock_timeout=args.ddl_lock_timeout, statement_timeout=args.statement_timeout, ddl_retries=args.ddl_retries,
    )  # fmt: skip
    print(report)
    return EXIT_OK
