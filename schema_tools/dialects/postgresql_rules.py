"""PostgreSQL's lock rules: squawk's (schema_tools.rules.squawk), loaded here so the catalog loads them with ours.

Our own PostgreSQL rules (index without CONCURRENTLY, volatile default, table rewrite) were the same findings
as squawk's require-concurrent-index-creation, adding-field-with-default and changing-column-type; squawk's
win, so no rule is written twice. Add a rule here only for what squawk has nothing on.
"""

from __future__ import annotations

from ..rules import squawk

RULE_MODULES = (squawk,)
