"""Which column types a backend stores as one: the shared part of each backend's type-equivalence facts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

# A backend's facts: the DDL spelling of a type (upper case) -> the spelling the server stores and reflects it as.
Stored = Callable[[str], str]


def spelled(type_: TypeEngine[Any], dialect: Dialect) -> str | None:
    """The type as `dialect` writes it in DDL (what create_all emits), upper case; None when it has no spelling."""
    if isinstance(type_, sa.types.NullType):
        return None
    try:
        text = dialect.type_compiler_instance.process(type_)
    except (sa.exc.CompileError, NotImplementedError):
        return None
    return re.sub(r"\s+", " ", str(text).strip()).upper()


def same_when_stored(
    inspected: TypeEngine[Any], metadata: TypeEngine[Any], dialect: Dialect, stored: Stored
) -> bool | None:
    """True when the server stores the models' type as exactly the inspected one, by one of `stored`'s facts.

    None whenever no fact applies to either side: then the spellings are what they look like, and Alembic's
    own comparison decides (it also compares what DDL does not show, such as a MySQL ENUM's values).
    """
    found, wanted = spelled(inspected, dialect), spelled(metadata, dialect)
    if found is None or wanted is None:
        return None
    found_stored, wanted_stored = stored(found), stored(wanted)
    if (found_stored, wanted_stored) == (found, wanted):
        return None
    return True if found_stored == wanted_stored else None
