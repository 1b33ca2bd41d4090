"""Notebook views of errors and revision heads: a styled box with the fix as a copyable command, the head graph."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from .display import STYLE, command_html, escape, ipython_shell

# A command in a message: single-quoted, starting with a tool a person runs ('alembic upgrade head').
_COMMAND = re.compile(r"'((?:alembic|schema-tools|pip|python|apt-get|brew|make|export)\b[^']*)'")
# An option or argument to pass (--allow-data-loss, allow_data_loss=True).
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]+|[a-z_]+=(?:True|False|None|\d+))")


def split_message(message: str) -> tuple[str, str]:
    """A one-line message as (what went wrong, what to do): split at the first ': ' outside brackets."""
    depth = 0
    for index, char in enumerate(message):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == ":" and depth == 0 and message[index + 1 : index + 2] == " ":
            return message[:index], message[index + 2 :]
    return message, ""


def _with_commands(text: str) -> str:
    """Escaped text whose commands are copyable code and whose options are code."""
    parts, last = [], 0
    for found in _COMMAND.finditer(text):
        parts.append(_with_options(text[last : found.start()]))
        parts.append(command_html(found.group(1)))
        last = found.end()
    parts.append(_with_options(text[last:]))
    return "".join(parts)


def _with_options(text: str) -> str:
    return _OPTION.sub(lambda found: f"<code>{found.group(1)}</code>", escape(text))


def _why(kind: type[BaseException]) -> str:
    """The first line of the error class's docstring: what this kind of error means."""
    for cls in kind.__mro__:
        doc = (cls.__doc__ or "").strip()
        if doc and cls is not Exception and cls.__module__ != "builtins":
            return doc.splitlines()[0]
    return ""


def error_html(error: BaseException) -> str:
    """An error as a box: its kind and what went wrong, why (the kind's meaning), and the fix with its command."""
    what, fix = split_message(str(error))
    rows = [f'<div style="font-weight:600;color:#cf222e">{escape(type(error).__name__)}: {escape(what)}</div>']
    why = _why(type(error))
    if why:
        rows.append(f'<div style="color:#57606a;margin-top:2px">why: {escape(why)}</div>')
    if fix:
        rows.append(f'<div style="margin-top:4px">fix: {_with_commands(fix)}</div>')
    return (
        f'{STYLE}<div class="st-error" style="border:1px solid #cf222e;border-left:4px solid #cf222e;'
        "border-radius:6px;background:#fff8f8;padding:6px 10px;margin:4px 0;font-family:system-ui,sans-serif;"
        f'font-size:13px;overflow-wrap:normal;word-break:normal;max-width:100%">{"".join(rows)}</div>'
    )


def register_error_display(kinds: tuple[type[BaseException], ...]) -> bool:
    """In a live Jupyter kernel, show an uncaught error of `kinds` as its box instead of a traceback.

    Registered once per kernel (IPython's set_custom_exc; the cell still fails); False outside Jupyter.
    %tb still shows the traceback.
    """
    shell = ipython_shell()
    if shell is None or getattr(shell, "_schema_tools_errors", False):
        return False

    def show(
        shell: Any, kind: type[BaseException], value: BaseException, tb: Any, tb_offset: int | None = None
    ) -> list[str]:
        shell.display_pub.publish({"text/html": error_html(value), "text/plain": f"{kind.__name__}: {value}"})
        return [f"{kind.__name__}: {value}"]

    shell.set_custom_exc(kinds, show)
    shell._schema_tools_errors = True
    return True


def heads_html(heads: Sequence[str], graph: Callable[[], str] | None) -> str:
    """The heads named, the merge command when there are several, and the revision graph under them."""
    count = len(heads)
    line = f"{count} head{'s' * (count != 1)}: {', '.join(heads) or 'none'}"
    parts = [STYLE, f'<div class="st-caption"><b>{escape(line)}</b>']
    if count > 1:
        command = f'alembic merge -m "merge heads" {" ".join(heads)}'
        parts.append(f" (merge them before upgrading: {command_html(command)})")
    parts.append("</div>")
    if graph is not None:
        parts.append(f'<div style="max-width:100%;overflow-x:auto">{graph()}</div>')
    return "".join(parts)
