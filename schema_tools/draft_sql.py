"""The SQL a draft's upgrade would run on each backend, rendered offline as the revision file declares it."""

from __future__ import annotations

import copy
import io
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy.engine import Dialect
from sqlalchemy.types import SchemaType

from .dialects import BACKENDS, Backend, backend_named
from .errors import ConfigurationError
from .portable import portable_server_default, portable_tables, portable_type
from .sqltext import stable_sql

# The dialects a draft renders SQL for: every supported backend.
DIALECTS: tuple[str, ...] = tuple(backend.name for backend in BACKENDS)


def sql_backend(name: str) -> Backend:
    """The supported backend a draft's SQL is rendered for; refuses any other name."""
    backend = backend_named(name)
    if not backend.supported:
        raise ConfigurationError(f"unknown dialect {name!r}: use one of {', '.join(DIALECTS)}")
    return backend


def render_code(container: Any, dialect: str) -> str:
    """The Python body of upgrade() or downgrade(), in batch mode where the backend needs it."""
    code = render_python_code(container, render_as_batch=backend_named(dialect).render_as_batch)
    lines = [line for line in code.splitlines() if "### " not in line]
    text = "\n".join(line[4:] if line.startswith("    ") else line for line in lines).strip()
    return text or "pass"


def render_sql(upgrade: ops.UpgradeOps, tables: dict[str, sa.Table], source: str, dialect: str) -> str:
    """The SQL `upgrade` (drafted on `source`, whose live `tables` were reflected) would run on `dialect`.

    Batch rebuilds copy the live table (its types made generic when drafted on another backend), or the
    table the upgrade itself creates.
    """
    backend = sql_backend(dialect)
    origin = backend_named(source)
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=backend.name,
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True, "transactional_ddl": False},
    )
    operations = Operations(context)
    foreign = backend.name != origin.name
    target = context.dialect if foreign else None
    copies: dict[str, sa.Table] = {}
    if backend.render_as_batch:
        copies = portable_tables(tables, source, context.dialect) if foreign else dict(tables)
    for operation in upgrade.ops:
        written = as_written(operation, target, origin)
        if isinstance(written, ops.CreateTableOp):
            copies[written.table_name] = written.to_table()
        if isinstance(written, ops.ModifyTableOps):
            copy_from = copies.get(written.table_name) if backend.render_as_batch else None
            with operations.batch_alter_table(written.table_name, copy_from=copy_from) as batch:
                for sub in written.ops:
                    batch.invoke(sub)
        else:
            operations.invoke(written)
    return stable_sql(buffer.getvalue())


def as_written(operation: Any, target: Dialect | None, source: Backend | None = None) -> Any:
    """The operation as the revision file runs it, for the SQL a draft renders.

    Autogenerate hands over the model's own columns, whose index=True/unique=True would make add_column
    emit the index or key again next to its own create_index op; the file declares the bare column. With
    `target` (rendering for another backend than the draft's `source`), reflected existing types and
    defaults are made portable, e.g. for MySQL's MODIFY, which repeats them.
    """
    if isinstance(operation, ops.ModifyTableOps):
        return ops.ModifyTableOps(
            operation.table_name, [as_written(sub, target, source) for sub in operation.ops], schema=operation.schema
        )
    if isinstance(operation, ops.AddColumnOp):
        added = copy.copy(operation)
        added.column = _column_as_written(operation.column)
        return added
    if isinstance(operation, ops.AlterColumnOp):
        return _alter_as_written(operation, target, source)
    return operation


def _alter_as_written(
    operation: ops.AlterColumnOp, target: Dialect | None, source: Backend | None
) -> ops.AlterColumnOp:
    written = copy.copy(operation)
    # The file passes server_default=sa.text(...), not the models' DefaultClause (batch mode would wrap it again).
    written.modify_server_default = _default_argument(operation.modify_server_default)
    written.existing_server_default = _default_argument(operation.existing_server_default)
    if target is not None:
        if operation.existing_type is not None:
            written.existing_type = portable_type(operation.existing_type, target, source)
        written.existing_server_default = portable_server_default(
            written.existing_server_default, written.existing_type, target
        )
    return written


def _default_argument(default: Any) -> Any:
    return default.arg if isinstance(default, sa.DefaultClause) else default


def _column_as_written(column: sa.Column[Any]) -> sa.Column[Any]:
    """A column as op.add_column declares it in a revision: no index, unique key or foreign key of its own."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    default = column.server_default
    if isinstance(default, sa.Computed | sa.Identity):
        positional.append(default._copy())
    elif isinstance(default, sa.DefaultClause):
        keywords["server_default"] = default.arg
    type_ = column.type.copy() if isinstance(column.type, SchemaType) else column.type
    return sa.Column(
        column.name, type_, *positional, nullable=column.nullable, autoincrement=column.autoincrement,
        comment=column.comment, system=column.system, **keywords, **column.kwargs,
    )  # fmt: skip
