"""Forking the local pool without the broker libraries' after-fork hooks, which could block a new process forever."""

from __future__ import annotations

import multiprocessing.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["broker_hooks_held_back"]

# Modules whose hooks close the caller's broker connections in each child: a pool process never uses them.
_HELD_BACK = ("kombu.", "celery.")


def _is_broker_hook(key: Any) -> bool:
    function = key[2] if isinstance(key, tuple) and len(key) == 3 else None
    return str(getattr(function, "__module__", "")).startswith(_HELD_BACK)


@contextmanager
def broker_hooks_held_back() -> Iterator[None]:
    """Processes forked inside skip kombu's and Celery's after-fork hooks; the caller keeps them.

    Kombu closes every pooled broker connection in a forked child. A Redis connection whose BRPOP is still
    waiting (any `app.control.ping()` or `inspect()` that ended on its timeout leaves one) is closed by reading
    that reply from the parent's socket, and the child, with the caller waiting for it, hung forever. A fleet's
    pool process only checks databases, so the hooks are held back while it forks, and put back after. The
    registry is multiprocessing's own (private): where it is missing, nothing is held back.
    """
    registry = getattr(multiprocessing.util, "_afterfork_registry", None)
    held: dict[Any, Any] = {}
    if registry is not None:
        held = {key: value for key, value in list(registry.items()) if _is_broker_hook(key)}
        for key in held:
            registry.pop(key, None)
    try:
        yield
    finally:
        for key, value in held.items():
            registry[key] = value  # type: ignore[index]
