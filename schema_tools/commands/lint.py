"""`schema-tools lint`: the draft's lint rules over revision files already in alembic/versions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli import EXIT_CHANGES, EXIT_OK
from .common import add_config, add_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="lint existing revision files (preflight counts only with --url)",
        description="Exit 0: no error findings; 1: an error finding; 2: an error.",
    )
    parser.add_argument("revision", nargs="?", help="a revision id (default: the head)")
    parser.add_argument("--all", action="store_true", help="every revision from base to head")
    parser.add_argument("--dialect", default=None, help="rules for this dialect (default: the URL's, else postgresql)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_url(parser)
    add_config(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from ..connect import parse_url, read_only_connection, sync_url
    from ..lint import LintContext, findings_text, lint_ops
    from ..script_ops import all_revisions, revision_ops
    from ..settings import alembic_config

    config = alembic_config(args.config) if args.config else alembic_config()
    revisions = all_revisions(config) if args.all else [args.revision or "head"]
    dialect = args.dialect or (sync_url(parse_url(args.url)).get_backend_name() if args.url else "postgresql")
    report: list[dict[str, Any]] = []
    errors = 0
    with read_only_connection(args.url) if args.url else nullcontext(None) as connection:
        for revision in revisions:
            recorded = revision_ops(revision, config=config, dialect="mysql" if dialect == "mariadb" else dialect)
            findings = lint_ops(recorded.upgrade_ops, LintContext(dialect, connection))
            errors += sum(f.severity == "error" for f in findings)
            report.append({"revision": recorded.revision, "message": recorded.message, "findings": findings})
    if args.format == "json":
        payload = [{**r, "findings": [f.to_dict() for f in r["findings"]]} for r in report]
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for entry in report:
            print(f"{entry['revision']}  {entry['message']}\n{findings_text(entry['findings'])}\n")
    return EXIT_CHANGES if errors else EXIT_OK
