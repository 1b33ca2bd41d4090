"""Benchmarks of schema_tools against Alembic, measured side by side in one run (`make bench`)."""
