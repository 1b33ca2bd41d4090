"""The identifier rule: names longer than the backend allows are cut (PostgreSQL) or refused (MySQL)."""

from __future__ import annotations

from collections.abc import Iterator

from ..dialects import BACKENDS
from .engine import RuleContext, Subject, rule
from .verdict import ERROR, MAY_FAIL, Verdict

_NAMED = ("add_table", "add_column", "add_index", "add_constraint", "add_fk")


def _names(subject: Subject) -> Iterator[str]:
    change = subject.change
    if change.name:
        yield change.name
    if change.kind == "add_table":
        table = change.raw[1]
        yield from (column.name for column in table.columns)
        yield from (str(c.name) for c in table.constraints if isinstance(c.name, str))
        yield from (str(i.name) for i in table.indexes if isinstance(i.name, str))


@rule("identifier-too-long", *_NAMED, backends=[b.name for b in BACKENDS if b.identifier_limit is not None])
def identifier_too_long(subject: Subject, context: RuleContext) -> Verdict | None:
    """A name over the backend's identifier limit is truncated (PostgreSQL, 63 bytes) or rejected (MySQL, 64).

    Fix: shorten the name, or the naming convention's template."""
    limit = context.backend.identifier_limit
    if limit is None:
        return None
    for name in _names(subject):
        size = context.backend.identifier_size(name)
        if size > limit:
            message = (
                f"identifier {name[:40]}... is {size} {context.backend.identifier_unit}, over "
                f"{context.backend.label}'s limit of {limit}: it would be truncated or rejected"
            )
            return Verdict("identifier-too-long", MAY_FAIL, ERROR, message, "shorten the name", size)
    return None
