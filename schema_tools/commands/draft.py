"""`schema-tools draft`: the revision autogenerate would write, its SQL and its lint, optionally written."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..draft import DIALECTS, draft
from .common import EXIT_CHANGES, EXIT_OK, add_config, add_metadata, add_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "draft",
        help="draft the next revision: code, SQL per dialect, lint with live-data counts",
        description="Exit 0: no error findings; 1: an error finding (unless --allow-data-loss); 2: an error.",
    )
    parser.add_argument("-m", "--message", required=True, help="the revision message")
    add_url(parser)
    add_metadata(parser)
    add_config(parser)
    parser.add_argument("--sql", choices=DIALECTS, help="also print the SQL for this dialect")
    parser.add_argument("--rename", action="append", default=[], metavar="TABLE.OLD:NEW",
                        help="rewrite a suspected rename (drop + add) as op.alter_column; repeatable")  # fmt: skip
    parser.add_argument(
        "--safe",
        action="store_true",
        help="rewrite into steps that do not block: concurrent indexes, NOT VALID keys, batched backfills",
    )
    parser.add_argument("--batch-size", type=int, default=10_000, help="--safe: rows per backfill batch")
    parser.add_argument("--batch-sleep", type=float, default=0.0, help="--safe: seconds between backfill batches")
    parser.add_argument(
        "--backfill",
        action="append",
        default=[],
        metavar="TABLE.COLUMN=VALUE",
        help="--safe: the value a new NOT NULL column's rows get (else the model default); repeatable",
    )
    parser.add_argument("--write", action="store_true", help="write the revision file (alembic's template and hooks)")
    parser.add_argument("--allow-data-loss", action="store_true", help="exit 0 and write even with error findings")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError, DataLossRefused
    from ..settings import alembic_config

    config = alembic_config(args.config) if args.config else None
    result = draft(args.metadata, args.url, args.message)
    for spec in args.rename:
        table_column, _, new = spec.partition(":")
        table, _, old = table_column.partition(".")
        if not (table and old and new):
            raise ConfigurationError(f"--rename {spec!r}: expected TABLE.OLD:NEW, e.g. users.full_name:display_name")
        result = result.apply_rename(table, old, new)
    if args.safe:
        result = result.make_safe(
            batch_size=args.batch_size, batch_sleep=args.batch_sleep, backfill=_backfills(args.backfill)
        )
    print(result)
    if args.sql:
        print(f"\n-- SQL for {args.sql}\n{result.sql(args.sql)}")
    if not result:
        print("schema-tools: nothing to draft: the models match the database", file=sys.stderr)
        return EXIT_OK
    if result.errors and not args.allow_data_loss:
        if args.write:
            raise DataLossRefused(
                f"{len(result.errors)} error finding(s) ({', '.join(sorted({f.rule for f in result.errors}))}): "
                "fix the draft, or pass --allow-data-loss to write it anyway"
            )
        return EXIT_CHANGES
    if args.write:
        path = result.write(config)
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _backfills(specs: list[str]) -> dict[str, str]:
    """--backfill TABLE.COLUMN=VALUE options as make_safe's backfill mapping (values as text)."""
    from ..errors import ConfigurationError

    values = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or "." not in key:
            raise ConfigurationError(f"--backfill {spec!r}: expected TABLE.COLUMN=VALUE, e.g. users.locale=en")
        values[key] = value
    return values
