"""Lint Alembic operations (a draft, a revision file) with the one rule engine: the names callers import."""

from __future__ import annotations

from typing import Any

from .rules.catalog import lint_operations
from .rules.engine import BIG_TABLE_ROWS, RuleContext
from .rules.findings import Finding, findings_html, findings_text
from .rules.operations import describe_op, flatten_ops
from .rules.renames import suspected_column_renames, suspected_table_renames
from .rules.verdict import ERROR, INFO, SEVERITIES, WARNING

__all__ = [
    "BIG_TABLE_ROWS",
    "ERROR",
    "INFO",
    "SEVERITIES",
    "WARNING",
    "Finding",
    "LintContext",
    "describe_op",
    "findings_html",
    "findings_text",
    "flatten_ops",
    "lint_ops",
    "suspected_column_renames",
    "suspected_table_renames",
]

# What the rules may look at: the backend (or dialect name), a read-only connection for counts, and the
# row count above which a write-blocking operation is worth a warning.
LintContext = RuleContext


def lint_ops(container: Any, context: RuleContext) -> tuple[Finding, ...]:
    """Every rule that applies to the backend, over the operations; findings sorted errors first."""
    return lint_operations(container, context)
