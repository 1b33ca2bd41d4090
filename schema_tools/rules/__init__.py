"""The one rule engine: every risk verdict on a schema change comes from the rules registered here.

`schema_tools.rules.engine` holds the registry and the verdict types, the other modules hold the rules, and
`schema_tools.rules.catalog` loads them all (backend rules included) and answers diff(), the draft's lint,
`schema-tools lint` and the migration guard alike.
"""
