"""Reading a revision script without running it: which statements are fixed op.* calls, and recording them."""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.operations.base import AbstractOperations
from alembic.runtime.environment import EnvironmentContext
from alembic.script import Script, ScriptDirectory

from .dialects import backend_of

# op.* calls whose effect is fully given by their arguments: recording them is the same as running them.
SCHEMA_OPERATIONS = frozenset(
    {
        "add_column", "alter_column", "batch_alter_table", "bulk_insert", "create_check_constraint",
        "create_exclude_constraint", "create_foreign_key", "create_index", "create_primary_key", "create_table",
        "create_table_comment", "create_unique_constraint", "drop_column", "drop_constraint", "drop_index",
        "drop_table", "drop_table_comment", "rename_table",
        # schema-tools' own operations (comparators/enum_ops.py, view_ops.py): fixed by their arguments too.
        "alter_enum_type", "create_enum_type", "create_view", "drop_enum_type", "drop_view", "rename_enum_type",
        "replace_view",
    }
)  # fmt: skip
# op.* helpers allowed inside arguments: they only build names and literals.
ARGUMENT_HELPERS = frozenset({"f", "inline_literal"})
_RECORDING_LOCK = threading.Lock()


def _function(script: Script, name: str) -> ast.FunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(getattr(script.module, name)))
    except (OSError, TypeError, AttributeError):
        return None
    tree = ast.parse(source)
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.FunctionDef) else None


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _dynamic_parts(node: ast.AST, operation_names: set[str]) -> str | None:
    """Why the arguments are not fixed (a look at the connection or context, raw SQL), or None."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
            if inner.value.id in operation_names and inner.attr not in SCHEMA_OPERATIONS | ARGUMENT_HELPERS:
                return f"calls {inner.value.id}.{inner.attr}()"
        if isinstance(inner, ast.Name) and inner.id in ("context", "connection", "bind", "conn", "session"):
            return f"uses {inner.id}"
        if isinstance(inner, ast.Lambda | ast.Await | ast.Yield | ast.NamedExpr):
            return "computes its arguments at run time"
    return None


def _statement_reason(statement: ast.stmt, operation_names: set[str]) -> str | None:
    """None when the statement is a fixed Alembic operation, else why it must be run to be judged."""
    if isinstance(statement, ast.Pass) or _is_docstring(statement):
        return None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return _call_reason(statement.value, operation_names)
    if isinstance(statement, ast.With):
        return _with_reason(statement, operation_names)
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
        return _assign_reason(statement.value, operation_names)
    kind = type(statement).__name__.lower()
    words = {"if": "branches (if)", "for": "loops (for)", "while": "loops (while)", "try": "catches errors (try)"}
    return f"{words.get(kind, f'has a {kind} statement')}"


def _receiver(call: ast.Call) -> tuple[str, str] | None:
    """(name, attribute) of a call like `op.add_column(...)`, else None."""
    target = call.func
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return target.value.id, target.attr
    return None


def _call_reason(call: ast.Call, operation_names: set[str]) -> str | None:
    """A bare call: only an op.* schema operation with fixed arguments can be read."""
    receiver = _receiver(call)
    if receiver is None or receiver[0] not in operation_names:
        return f"calls {ast.unparse(call.func)}()"
    if receiver[1] not in SCHEMA_OPERATIONS:
        return f"calls {receiver[0]}.{receiver[1]}()"
    return _dynamic_parts(call, operation_names)


def _autocommit_block(call: ast.expr, operation_names: set[str]) -> bool:
    """`op.get_context().autocommit_block()`: PostgreSQL's ALTER TYPE ... ADD VALUE runs outside the transaction."""
    return any(ast.unparse(call) == f"{name}.get_context().autocommit_block()" for name in operation_names)


def _with_reason(statement: ast.With, operation_names: set[str]) -> str | None:
    """`with op.batch_alter_table(...) as batch_op:` whose body is fixed operations on batch_op, or an
    autocommit block around fixed operations."""
    item = statement.items[0] if len(statement.items) == 1 else None
    if item is not None and item.optional_vars is None and _autocommit_block(item.context_expr, operation_names):
        return next((r for r in (_statement_reason(s, operation_names) for s in statement.body) if r), None)
    return _batch_reason(statement, item, operation_names)


def _batch_reason(statement: ast.With, item: ast.withitem | None, operation_names: set[str]) -> str | None:
    """`with op.batch_alter_table(...) as batch_op:` whose body is fixed operations on batch_op."""
    call = item.context_expr if item is not None else None
    if not (isinstance(call, ast.Call) and item is not None and isinstance(item.optional_vars, ast.Name)):
        return "uses a with block other than op.batch_alter_table"
    receiver = _receiver(call)
    if receiver is None or receiver[0] not in operation_names or receiver[1] != "batch_alter_table":
        return "uses a with block other than op.batch_alter_table"
    inner_names = {*operation_names, item.optional_vars.id}
    reason = _dynamic_parts(call, operation_names)
    for inner in statement.body:
        reason = reason or _statement_reason(inner, inner_names)
    return reason


_TABLE_BUILDERS = frozenset({"table", "Table", "column", "Column"})


def _assign_reason(call: ast.Call, operation_names: set[str]) -> str | None:
    """`x = op.create_table(...)` or `t = sa.table(...)`: fixed when the arguments are."""
    receiver = _receiver(call)
    if receiver is not None:
        name, attribute = receiver
        schema_operation = name in operation_names and attribute in SCHEMA_OPERATIONS
        table_builder = name in ("sa", "sqlalchemy") and attribute in _TABLE_BUILDERS
        if schema_operation or table_builder:
            return _dynamic_parts(call, operation_names)
    if isinstance(call.func, ast.Name) and call.func.id in ("table", "column"):
        return _dynamic_parts(call, operation_names)
    return f"assigns the result of {ast.unparse(call.func)}()"


def why_dynamic(script: Script, direction: str) -> str | None:
    """None when the revision's function only calls fixed Alembic operations; else what makes it dynamic."""
    name = "upgrade" if direction == "upgrade" else "downgrade"
    function = _function(script, name)
    if function is None:
        return f"its {name}() could not be read"
    for statement in function.body:
        reason = _statement_reason(statement, {"op"})
        if reason:
            return f"{name}() {reason}"
    return None


@contextmanager
def _recording() -> Iterator[list[Any]]:
    """While active, every op.* call (batch ones too) is recorded instead of executed."""
    recorded: list[Any] = []
    with _RECORDING_LOCK:
        original = AbstractOperations.invoke

        def record(self: AbstractOperations, operation: Any) -> None:
            recorded.append(operation)

        AbstractOperations.invoke = record  # type: ignore[method-assign,assignment]
        try:
            yield recorded
        finally:
            AbstractOperations.invoke = original  # type: ignore[method-assign]


def read_operations(script: Script, direction: str, dialect: str, config: Config | None = None) -> tuple[Any, ...]:
    """The operations a revision's upgrade() or downgrade() invokes, recorded offline: no env.py, no database.

    With `config`, Alembic's `context` proxy is set up in offline mode too, so a revision that asks
    context.is_offline_mode() can be read (it then takes its offline branch: only an effect shows the other).
    """
    name = backend_of(dialect).name
    buffer = io.StringIO()
    function = getattr(script.module, "upgrade" if direction == "upgrade" else "downgrade")
    if config is None:
        context = MigrationContext.configure(
            dialect_name=name, opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True}
        )
        with Operations.context(context), _recording() as recorded:
            function()
        return tuple(recorded)
    with EnvironmentContext(config, ScriptDirectory.from_config(config), as_sql=True) as environment:
        environment.configure(dialect_name=name, as_sql=True, output_buffer=buffer, literal_binds=True)
        with Operations.context(environment.get_context()), _recording() as recorded:
            function()
    return tuple(recorded)
