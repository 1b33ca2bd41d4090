"""The guard's reading of a revision: its op.* calls, recorded offline, judged by the rule engine."""

from __future__ import annotations

from typing import Any

from alembic.config import Config
from alembic.operations import ops
from alembic.script import Script

from ..dialects import backend_of
from ..revisions import Step, first_line
from ..rules.catalog import losses
from ..rules.operations import flatten_ops
from ..script_reading import read_operations, why_dynamic
from .verdict import OPERATIONS, UNJUDGED, Verdict, _line

__all__ = ["losses_of_operations", "needs_effect", "read_operations", "read_verdict", "why_dynamic"]


def losses_of_operations(operations: tuple[Any, ...], dialect: str) -> tuple[str, ...]:
    """What the rule engine calls data loss among recorded operations (drops, narrowing type changes)."""
    return losses(operations, backend_of(dialect))


def needs_effect(operations: tuple[Any, ...]) -> str | None:
    """Why a plain revision's operations still cannot tell what it destroys: a type change with no existing_type
    (only the database knows the type it changes from)."""
    for table, operation in flatten_ops(operations):
        if isinstance(operation, ops.AlterColumnOp) and operation.modify_type is not None:
            if operation.existing_type is None:
                return f"alter_column {table}.{operation.column_name} changes the type without existing_type"
    return None


def read_verdict(script: Script, direction: str, dialect: str, config: Config | None) -> Verdict:
    """The verdict reading alone gives: OPERATIONS when exact, else UNJUDGED with why it must be measured."""
    step = Step(script.revision, first_line(script.doc))
    reason = why_dynamic(script, direction)
    if reason is None:
        try:
            recorded = read_operations(script, direction, dialect, config)
        except Exception as error:  # the function raised when read: it depends on something at run time
            reason = f"reading it raised {_line(error)}"
        else:
            reason = needs_effect(recorded)
            if reason is None:
                losses = losses_of_operations(recorded, dialect)
                return Verdict(step.revision, step.message, direction, OPERATIONS, losses, operations=recorded)
    return Verdict(step.revision, step.message, direction, UNJUDGED, reason=reason)
