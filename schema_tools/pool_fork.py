"""Forking the local pool: the parent's objects frozen for the garbage collector, broker after-fork hooks held back."""

from __future__ import annotations

import gc
import multiprocessing.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["broker_hooks_held_back", "forking", "objects_frozen"]

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


@contextmanager
def objects_frozen() -> Iterator[None]:
    """Processes forked inside start with every object they inherit frozen (gc.freeze); the caller's are let go.

    A forked process shares the caller's memory until it writes to a page. A full collection in the process
    wrote to every inherited object's header: it copied the caller's heap page by page, and a check that
    happened to trigger one took 90-130 ms instead of 30-40. Frozen objects are never traversed. The caller
    unfreezes right after the fork, so its own garbage is collected as before; a caller that froze objects
    itself (a pre-forking server) is left as it was.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def forking() -> Iterator[None]:
    """Both: where the local pool forks its processes."""
    with objects_frozen(), broker_hooks_held_back():
        yield
