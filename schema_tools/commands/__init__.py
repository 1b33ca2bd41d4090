"""One module per `schema-tools` subcommand, each with `register(subparsers)`; COMMANDS lists them in help order."""

from __future__ import annotations

from . import backup, diff, draft, erd, fleet, history, lint, migrate, roundtrip, snapshot, status, verify, worker

COMMANDS = (diff, status, draft, lint, erd, snapshot, fleet, worker, backup, migrate, roundtrip, history, verify)
