"""schema-tools' own comparators, registered into Alembic's autogenerate as plugins (alembic.runtime.plugins).

Each submodule registers one plugin at import and names it in PLUGIN_NAME; PLUGIN_NAMES lists them all, and
settings.compare_options() hands them to Alembic, so `alembic revision --autogenerate`, `alembic check`,
diff(), DiffSession and draft() all see the same comparisons. A comparator module must not import
schema_tools.settings (settings imports this package).
"""

from __future__ import annotations

from types import ModuleType

from . import checks, enums, generated, primary_keys, types, views

_MODULES: tuple[ModuleType, ...] = (types, views, checks, generated, primary_keys, enums)

PLUGIN_NAMES: tuple[str, ...] = tuple(module.PLUGIN_NAME for module in _MODULES)
