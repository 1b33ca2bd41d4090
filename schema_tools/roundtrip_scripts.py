"""What the roundtrip lab reads of a revision without running it: empty functions, and NotImplementedError."""

from __future__ import annotations

import ast
import inspect
import textwrap

from alembic.script import Script

__all__ = ["first_message", "is_empty_function", "not_implemented"]


def is_empty_function(script: Script, name: str) -> bool:
    """True when the revision's `name`() is only `pass`, `...` and a docstring (read from its AST, not run)."""
    function = getattr(script.module, name, None)
    if function is None:
        return False
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in node.body
    )


def not_implemented(error: BaseException) -> bool:
    """True when NotImplementedError is the error or anywhere in its chain of causes: an irreversible revision."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, NotImplementedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def first_message(error: BaseException) -> str:
    """The first line of the NotImplementedError's message, which says why the revision is irreversible."""
    for current in (error, error.__cause__, error.__context__):
        if isinstance(current, NotImplementedError) and str(current).strip():
            return str(current).strip().splitlines()[0]
    return "NotImplementedError"
