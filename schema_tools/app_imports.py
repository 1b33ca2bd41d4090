"""Import the app's own code by name ("module:attribute"): its models' MetaData, its scratch-setup function."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import MetaData

from .errors import ConfigurationError


def add_paths(paths: Iterable[str]) -> None:
    """Put the app's folders first on sys.path (as Alembic's prepend_sys_path does), once each."""
    for path in reversed(list(paths)):
        if path not in sys.path:
            sys.path.insert(0, path)


def attribute_of(module: Any, attribute: str) -> Any:
    """`module.a.b.c` for attribute "a.b.c" (AttributeError when a part is missing)."""
    found = module
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


@cache
def import_metadata(spec: str, imports: tuple[str, ...], paths: tuple[str, ...]) -> MetaData:
    """The MetaData at `spec` ("module:attribute"), after importing `imports` (modules that register models)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(
            f"metadata {spec!r} is not 'module:attribute': e.g. --metadata yourapp.models:Base.metadata"
        )
    add_paths(paths)
    for name in (*imports, module_name):
        try:
            module: Any = importlib.import_module(name)
        except ImportError as exc:
            raise ConfigurationError(
                f"cannot import module {name!r} for metadata {spec!r} ({exc}): check the module name "
                "and that the app's directory holds it"
            ) from None
    try:
        found = attribute_of(module, attribute)
    except AttributeError:
        raise ConfigurationError(
            f"module {module_name!r} has no attribute {attribute!r}: check metadata {spec!r}"
        ) from None
    if not isinstance(found, MetaData):
        raise ConfigurationError(
            f"{spec!r} is a {type(found).__name__}, not a sqlalchemy MetaData: point at Base.metadata"
        )
    return found
