"""A synthetic schema of N tables (8-9 columns, 2 foreign keys, an index, a unique constraint) and 8 changes."""

from __future__ import annotations

import sqlalchemy as sa


def table_name(i: int) -> str:
    return f"t{i:04d}"


def build(n: int) -> sa.MetaData:
    """The schema as it is in the database."""
    metadata = sa.MetaData()
    for i in range(n):
        columns: list[sa.schema.SchemaItem] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False),
            sa.Column("code", sa.String(20), nullable=True),
            sa.Column("amount", sa.Float, nullable=True),
            sa.Column("created", sa.DateTime, nullable=True),
            sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column("note", sa.Text, nullable=True),
        ]
        if i >= 1:
            columns.append(sa.Column("parent_a", sa.Integer, sa.ForeignKey(f"{table_name(i - 1)}.id"), nullable=True))
        if i >= 2:
            columns.append(sa.Column("parent_b", sa.Integer, sa.ForeignKey(f"{table_name(i - 2)}.id"), nullable=True))
        table = sa.Table(
            table_name(i), metadata, *columns, sa.UniqueConstraint("name", name=f"uq_{table_name(i)}_name")
        )
        sa.Index(f"ix_{table_name(i)}_code", table.c.code)
    return metadata


def with_changes(n: int) -> sa.MetaData:
    """The models: the same schema with 8 pending changes spread over the tables."""
    metadata = build(n)
    step = max(n // 8, 1)
    targets = [metadata.tables[table_name(min(k * step, n - 1))] for k in range(8)]
    targets[0].append_column(sa.Column("extra_0", sa.String(30), nullable=True))
    targets[1].append_column(sa.Column("extra_1", sa.Integer, nullable=True))
    targets[2].c.code.type = sa.String(40)
    targets[3].c.amount.nullable = False
    sa.Index(f"ix_{targets[4].name}_created", targets[4].c.created)
    targets[5].append_column(sa.Column("extra_5", sa.Boolean, nullable=True))
    targets[6].c.note.comment = "a note"
    sa.Table("t_new", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String(10)))
    return metadata


def create(engine: sa.Engine, n: int, chunk: int = 250) -> None:
    """Create the schema of N tables, committing every `chunk` tables.

    One transaction creating thousands of tables runs PostgreSQL out of lock slots (max_locks_per_transaction).
    """
    metadata = build(n)
    tables = metadata.sorted_tables
    for start in range(0, len(tables), chunk):
        with engine.begin() as connection:
            metadata.create_all(connection, tables=tables[start : start + chunk])
