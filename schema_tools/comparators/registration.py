"""One Alembic plugin per comparator module, registered once even when the module is imported again."""

from __future__ import annotations

from alembic.runtime import plugins


def new_plugin(name: str) -> plugins.Plugin | None:
    """The named plugin to add comparators to; None when a reload finds it registered already."""
    try:
        return plugins.Plugin(name)
    except ValueError:
        return None
