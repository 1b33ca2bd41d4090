"""CHECK constraints compared by name and normalised expression: added, dropped and changed ones become ops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from ..dialects import backend_of
from .expressions import canonical, sql_text
from .registration import new_plugin

PLUGIN_NAME = "schema_tools.comparators.checks"


@dataclass(frozen=True)
class _Check:
    """One CHECK on either side: its name (None when unnamed) and its expression, as written and canonical."""

    name: str | None
    text: str
    canonical: str


def _named(constraint: sa.CheckConstraint, dialect: Any) -> str | None:
    """The name CREATE TABLE gives it, or None (SQLAlchemy's _NONE_NAME, or a convention that names nothing)."""
    from alembic.util import sqla_compat

    if not sqla_compat._constraint_is_named(constraint, dialect):
        return None
    return sqla_compat.constraint_name_or_none(constraint.name)


def _created_here(constraint: sa.CheckConstraint, dialect: Any) -> bool:
    """False for a type's CHECK the backend does not create (Boolean and Enum where they are native)."""
    rule = getattr(constraint, "_create_rule", None)
    return rule is None or bool(rule(dialect.ddl_compiler(dialect, None)))  # as CREATE TABLE asks it


def model_checks(table: sa.Table, dialect: Any) -> list[tuple[_Check, sa.CheckConstraint]]:
    """The table's CHECKs as CREATE TABLE would make them here: table-level, column-level and type-bound."""
    from alembic.util import sqla_compat

    found: dict[tuple[str | None, str], tuple[_Check, sa.CheckConstraint]] = {}
    for constraint in sqla_compat.all_table_check_constraints(table):
        if _created_here(constraint, dialect):
            text = sql_text(constraint.sqltext, dialect)
            check = _Check(_named(constraint, dialect), text, canonical(text))
            # One name once (an Enum's own CHECK and a table CHECK of the same name are one in the database).
            found.setdefault((check.name, "") if check.name else (None, check.canonical), (check, constraint))
    return sorted(found.values(), key=lambda pair: (pair[0].name or "", pair[0].canonical))


def _type_made(check: _Check, table: sa.Table) -> bool:
    """A reflected `col IN (...)` that a Boolean or Enum column's create_constraint would make: not the models'."""
    for column in table.columns:
        if isinstance(column.type, sa.Boolean | sa.Enum) and check.canonical.startswith(f"{column.name.lower()}in"):
            return True
    return False


def pair_checks(
    model: list[_Check], database: list[_Check]
) -> tuple[list[tuple[_Check, _Check]], list[_Check], list[_Check]]:
    """(same name but another expression, added, dropped): by name first, then unnamed ones by expression."""
    by_name = {check.name: check for check in database if check.name is not None}
    changed, added, unmatched = [], [], []
    left = {id(check): check for check in database}
    for check in model:
        found = by_name.get(check.name) if check.name is not None else None
        if found is None:
            unmatched.append(check)
        elif left.pop(id(found), None) is not None and found.canonical != check.canonical:
            changed.append((found, check))
    for check in unmatched:  # an unnamed one matches whatever name the backend gave it; a named one only its own
        same = next((c for c in left.values() if c.canonical == check.canonical and None in (check.name, c.name)), None)
        if same is None:
            added.append(check)
        else:
            del left[id(same)]
    return changed, added, list(left.values())


def _reflected(autogen_context: Any, schema: str | None, tname: str, table: sa.Table) -> list[_Check]:
    """The reflected table's CHECKs (MariaDB: read from its catalog, which has the column-level ones too)."""
    backend = backend_of(autogen_context.dialect)
    checks = []
    for row in backend.table_check_constraints(autogen_context.connection, table):
        name = row.get("name")
        if name is None or autogen_context.run_name_filters(
            name, "check_constraint", {"table_name": tname, "schema_name": schema}
        ):
            checks.append(_Check(name, row["sqltext"], canonical(row["sqltext"])))
    return checks


def compare_checks(
    autogen_context: Any,
    modify_table_ops: Any,
    schema: str | None,
    tname: str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> Any:
    """A table comparator: DROP the CHECKs the models lost or changed, CREATE the ones they gained or changed."""
    from alembic.util import PriorityDispatchResult

    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    dialect = autogen_context.dialect
    wanted = model_checks(metadata_table, dialect)
    objects = {id(check): constraint for check, constraint in wanted}
    model = [check for check, _ in wanted]
    changed, added, dropped = pair_checks(model, _reflected(autogen_context, schema, tname, conn_table))
    dropped = [check for check in dropped if not _type_made(check, metadata_table)]
    detached = sa.Table(tname, sa.MetaData(), schema=schema)  # the reflected table is left as it was
    for old in [*dropped, *(old for old, _ in changed)]:
        reflected = sa.CheckConstraint(sa.text(old.text), name=old.name, table=detached)
        if autogen_context.run_object_filters(reflected, old.name, "check_constraint", True, None):
            modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(reflected))
    for new in [*(new for _, new in changed), *added]:
        constraint = objects[id(new)]
        if autogen_context.run_object_filters(constraint, new.name, "check_constraint", False, None):
            # From the text, not the models' expression: an op made from that would attach copies to the models.
            create = ops.CreateCheckConstraintOp(new.name, tname, new.text, schema=schema, **constraint.dialect_kwargs)
            modify_table_ops.ops.append(create)
    return PriorityDispatchResult.CONTINUE


def _register_plugin() -> None:
    import alembic.autogenerate  # noqa: F401  (Alembic's own comparators register first)

    plugin = new_plugin(PLUGIN_NAME)
    if plugin is None:  # this module was imported again (a reload): registered already
        return
    plugin.add_autogenerate_comparator(compare_checks, "table", "schema_tools_checks")


_register_plugin()
