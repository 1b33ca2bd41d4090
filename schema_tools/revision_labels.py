"""A revision's message as every listing shows it: its first line, and "merge of X, Y" for a merge without one."""

from __future__ import annotations

from alembic.script import Script


def revision_message(script: Script) -> str:
    """The first line of a revision's message; a merge without one reads "merge of X, Y", never blank."""
    lines = (script.doc or "").strip().splitlines()
    message = lines[0].strip() if lines else ""
    if message.startswith("Revision ID:"):  # no message: Alembic's docstring starts at the template's header
        message = ""
    if script.is_merge_point and message in ("", "None", "empty message"):
        down = script.down_revision
        return f"merge of {', '.join((down,) if isinstance(down, str) else tuple(down or ()))}"
    return message
