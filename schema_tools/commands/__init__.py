"""One module per `schema-tools` subcommand, each with `register(subparsers)`; COMMANDS lists them in help order."""

from __future__ import annotations

from . import backup, diff, draft, erd, fleet, history, lint, migrate, roundtrip, snapshot, status, verify

COMMANDS = (diff, status, draft, lint, erd, snapshot, fleet, backup, migrate, roundtrip, history, verify)
