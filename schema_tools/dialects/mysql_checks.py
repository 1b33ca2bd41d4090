"""MySQL/MariaDB CHECKs: MariaDB's column-level ones (SQLAlchemy misses them) and the json_valid ones it adds."""

from __future__ import annotations

import re
from typing import Any

_JSON_VALID = re.compile(r"^json_valid\(`?(?P<column>[^`()]+)`?\)$", re.IGNORECASE)


def backend_made(name: str | None, sqltext: str) -> bool:
    """MariaDB's own `json_valid(col)` CHECK for a JSON column (named after the column), not the models'."""
    match = _JSON_VALID.match(sqltext.strip())
    return match is not None and match.group("column") == name


def table_check_constraints(
    table: str, reflected: list[dict[str, Any]], catalog: list[tuple[str, str | None, str]] | None
) -> list[dict[str, Any]]:
    """Every CHECK of `table` as {name, sqltext}: from the catalog where it lists both levels (MariaDB)."""
    found = reflected
    if catalog is not None:
        found = [{"name": name, "sqltext": sql} for owner, name, sql in catalog if owner == table]
    return [check for check in found if not backend_made(check.get("name"), check["sqltext"])]
