"""Rules about views: dropping one breaks its readers, and a view in the way of a column or table change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from weakref import WeakKeyDictionary

from ..dialects import backend_of
from ..dialects.base_views import Usage
from .engine import RuleContext, Subject, plan_rule, rule
from .verdict import ERROR, INFO, MAY_FAIL, SAFE, WARNING, Verdict

# Kinds whose DDL meets a view reading the column or table, on every backend.
_MEETS_READERS = frozenset({"remove_column", "modify_type", "remove_table", "remove_view"})
# Kinds SQLite carries out by rebuilding the table (batch mode): the rebuild's rename meets any view reading it.
_REBUILDS = frozenset(
    {"remove_column", "modify_type", "modify_nullable", "modify_default", "add_constraint", "remove_constraint",
     "add_fk", "remove_fk"}
)  # fmt: skip
_USAGE: WeakKeyDictionary[RuleContext, dict[str, Usage]] = WeakKeyDictionary()


@rule("view-create", "add_view", "replace_view")
def view_create(subject: Subject, context: RuleContext) -> Verdict:
    """Creating or re-creating a view changes no row; a materialized view is filled once, when created.

    Fix: nothing; REFRESH MATERIALIZED VIEW renews a materialized view's rows later."""
    change = subject.change
    materialized = bool(change.raw[-1]) if change.raw else False
    verb = "creates" if change.kind == "add_view" else "re-creates"
    message = f"{verb} view {change.name}"
    if materialized:
        message += " (materialized: filled now; REFRESH MATERIALIZED VIEW renews it)"
    return Verdict("view-create", SAFE, INFO, message)


@plan_rule("drop-view")
def drop_view(subjects: Sequence[Subject], context: RuleContext) -> Iterator[tuple[int, Verdict]]:
    """Dropping a view (remove_view) loses no row, but every query and view that reads it breaks; one the same
    upgrade creates again (add_view) is only re-created.

    Fix: declare it with schema_tools.views.view() if the models should keep it; else drop its readers first."""
    created = {subject.change.name for subject in subjects if subject.change.kind == "add_view"}
    for index, subject in enumerate(subjects):
        name = subject.change.name
        if subject.change.kind != "remove_view":
            continue
        if name in created:
            yield index, Verdict("drop-view", SAFE, INFO, f"drops view {name} to create it again below")
            continue
        message = f"drops view {name}: every query or view that reads it breaks"
        yield index, Verdict("drop-view", MAY_FAIL, WARNING, message, "declare it with schema_tools.views.view()")


def _usage(context: RuleContext) -> dict[str, Usage]:
    if context not in _USAGE:
        assert context.connection is not None
        # The connection's own backend reads its catalog (a lint may judge for another backend than it reads).
        _USAGE[context] = backend_of(context.connection).view_catalog().usage(context.connection)
    return _USAGE[context]


def _what(subject: Subject) -> tuple[str, str | None]:
    """(table or view, column) the change is about; column None for a whole table or view."""
    change = subject.change
    if change.kind in ("remove_column", "modify_type"):
        return subject.table, change.name
    return (change.name if change.kind == "remove_view" else subject.table) or "", None


def _verdict(subject: Subject, readers: list[str], context: RuleContext, rebuild: bool) -> Verdict:
    table, column = _what(subject)
    where = f"{table}.{column}" if column else table
    views = ", ".join(readers)
    if rebuild:
        message = (
            f"view {views} reads {table}: {context.backend.label} rebuilds the table for this change, and the "
            f"rebuild's rename fails while a view reads it"
        )
    else:
        message = f"view {views} uses {where}: the {subject.operation} {context.backend.view_catalog().breaks_reader}"
    fix = "drop the view before this change and create it again after it (declare it with schema_tools.views.view())"
    return Verdict("view-dependency", MAY_FAIL, ERROR, message, fix)


@plan_rule("view-dependency")
def view_dependency(subjects: Sequence[Subject], context: RuleContext) -> Iterator[tuple[int, Verdict]]:
    """A column dropped or retyped, or a table or view dropped, while a database view reads it (needs a database).

    Fix: drop the view before the change and create it again after it; declaring it with schema_tools.views.view()
    makes autogenerate do so."""
    rebuilds = context.backend.view_catalog().rebuild_meets_views
    kinds = _MEETS_READERS | (_REBUILDS if rebuilds else frozenset())
    chosen = [(index, subject) for index, subject in enumerate(subjects) if subject.change.kind in kinds]
    if context.connection is None or not chosen:
        return
    usage = _usage(context)
    dropped = {subject.change.name for subject in subjects if subject.change.kind == "remove_view"}
    for index, subject in chosen:
        found = _finding(subject, usage, dropped, context, rebuilds)
        if found is not None:
            yield index, found


def _readers(usage: dict[str, Usage], dropped: set[str | None], wanted: tuple[str, str | None]) -> list[str]:
    return sorted(view for view, used in usage.items() if view not in dropped and wanted in used)


def _finding(
    subject: Subject, usage: dict[str, Usage], dropped: set[str | None], context: RuleContext, rebuilds: bool
) -> Verdict | None:
    """The error for one change a live view stands in the way of (the views the plan drops first aside)."""
    table, column = _what(subject)
    exact = _readers(usage, dropped, (table, column))
    if exact:
        return _verdict(subject, exact, context, rebuild=False)
    whole = _readers(usage, dropped, (table, None)) if rebuilds and subject.change.kind != "remove_view" else []
    return _verdict(subject, whole, context, rebuild=True) if whole else None
