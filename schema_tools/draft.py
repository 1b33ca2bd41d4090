"""draft(): the revision autogenerate would write, its SQL per dialect and its lint, before any file exists."""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy import MetaData
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.types import SchemaType, TypeEngine

from .config import alembic_config, load_metadata
from .connect import read_only_connection
from .display import escape
from .errors import ConfigurationError, MultipleHeads, NotUpToDate
from .lint import BIG_TABLE_ROWS, Finding, LintContext, findings_html, findings_text, flatten_ops, lint_ops
from .runner import run_alembic
from .scripts import load_scripts
from .secrets import SafeURL
from .settings import compare_options
from .sources import SchemaSource, describe, reflect, resolve_database
from .sqltext import portable_default, stable_sql
from .status import status as database_status

DIALECTS = ("sqlite", "postgresql", "mysql")


@dataclass(frozen=True)
class Draft:
    """A revision as autogenerate would write it, with its live-data lint findings; nothing written yet."""

    message: str
    dialect: str
    target: str
    upgrade_ops: ops.UpgradeOps = field(repr=False, compare=False)
    downgrade_ops: ops.DowngradeOps = field(repr=False, compare=False)
    findings: tuple[Finding, ...] = ()
    # The live tables the operations touch, reflected on every backend: SQLite batch rebuilds rendered
    # offline copy them (copy_from), made portable when the draft comes from PostgreSQL or MariaDB.
    tables: dict[str, sa.Table] = field(default_factory=dict, repr=False, compare=False)
    renames: tuple[str, ...] = ()
    url: Any = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.upgrade_ops.ops)

    @property
    def upgrade_code(self) -> str:
        """The body of upgrade(), exactly as the revision file will have it."""
        return _render(self.upgrade_ops, self.dialect)

    @property
    def downgrade_code(self) -> str:
        """The body of downgrade()."""
        return _render(self.downgrade_ops, self.dialect)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def lint(self) -> tuple[Finding, ...]:
        """The lint findings (computed against the live data when the draft was made)."""
        return self.findings

    def operations(self) -> list[tuple[str | None, Any]]:
        """(table, op) pairs of the upgrade, for comparing with a written revision."""
        return flatten_ops(self.upgrade_ops)

    def sql(self, dialect: str | None = None) -> str:
        """The SQL the upgrade would run on `dialect` (sqlite, postgresql, mysql), rendered offline.

        Runs the operations as the revision file declares them. SQLite's batch rebuilds copy the live table
        reflected when the draft was made (its types made generic when the draft came from another backend),
        or the table this draft creates.
        """
        name = _dialect_name(dialect or self.dialect)
        buffer = io.StringIO()
        context = MigrationContext.configure(
            dialect_name=name,
            opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True, "transactional_ddl": False},
        )
        operations = Operations(context)
        foreign = name != _canonical(self.dialect)
        target = context.dialect if foreign else None
        copies: dict[str, sa.Table] = {}
        if name == "sqlite":
            copies = portable_tables(self.tables, self.dialect, context.dialect) if foreign else dict(self.tables)
        for operation in self.upgrade_ops.ops:
            written = _as_written(operation, target)
            if isinstance(written, ops.CreateTableOp):
                copies[written.table_name] = written.to_table()
            if isinstance(written, ops.ModifyTableOps):
                copy_from = copies.get(written.table_name) if name == "sqlite" else None
                with operations.batch_alter_table(written.table_name, copy_from=copy_from) as batch:
                    for sub in written.ops:
                        batch.invoke(sub)
            else:
                operations.invoke(written)
        return stable_sql(buffer.getvalue())

    def apply_rename(self, table: str, old: str, new: str) -> Draft:
        """A new draft where `table.old` is renamed to `new` (op.alter_column) instead of dropped and re-added."""
        upgrade = copy.deepcopy(self.upgrade_ops)
        modify = _modify_ops(upgrade, table)
        drop = next((o for o in modify.ops if isinstance(o, ops.DropColumnOp) and o.column_name == old), None)
        add = next((o for o in modify.ops if isinstance(o, ops.AddColumnOp) and o.column.name == new), None)
        if drop is None or add is None:
            raise ConfigurationError(f"the draft does not drop {table}.{old} and add {table}.{new}: nothing to rename")
        old_type = drop._reverse.column.type if drop._reverse is not None else add.column.type
        old_nullable = drop._reverse.column.nullable if drop._reverse is not None else add.column.nullable
        rename = ops.AlterColumnOp(table, old, modify_name=new, existing_type=old_type, existing_nullable=old_nullable)
        modify.ops = [rename if o is drop else o for o in modify.ops if o is not add]
        downgrade = ops.DowngradeOps(ops=[])
        for operation in reversed(upgrade.ops):
            downgrade.ops.append(_reverse(operation, table, old, new, old_type, old_nullable))
        remaining = tuple(f for f in self.findings if not (f.table == table and f.column in (old, new)))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{table}.{old} -> {table}.{new}"),
        )  # fmt: skip

    def apply_table_rename(self, old: str, new: str) -> Draft:
        """A new draft where table `old` is renamed to `new` (op.rename_table) instead of dropped and created."""
        upgrade = copy.deepcopy(self.upgrade_ops)
        drop = next((o for o in upgrade.ops if isinstance(o, ops.DropTableOp) and o.table_name == old), None)
        create = next((o for o in upgrade.ops if isinstance(o, ops.CreateTableOp) and o.table_name == new), None)
        if drop is None or create is None:
            raise ConfigurationError(f"the draft does not drop {old} and create {new}: nothing to rename")
        related = {
            id(o) for o in upgrade.ops if getattr(o, "table_name", None) in (old, new) and o not in (drop, create)
        }
        upgrade.ops = [ops.RenameTableOp(old, new) if o is drop else o for o in upgrade.ops
                       if o is not create and id(o) not in related]  # fmt: skip
        downgrade = ops.DowngradeOps(ops=[o.reverse() if not isinstance(o, ops.RenameTableOp)
                                          else ops.RenameTableOp(new, old) for o in reversed(upgrade.ops)])  # fmt: skip
        remaining = tuple(f for f in self.findings if f.table not in (old, new))
        return replace(
            self, upgrade_ops=upgrade, downgrade_ops=downgrade, findings=remaining,
            renames=(*self.renames, f"{old} -> {new}"),
        )  # fmt: skip

    def write(self, config: Any = None) -> Path:
        """Write the revision file with Alembic's own command, template and post-write hooks.

        Refuses when the database is behind the head (autogenerate would draft on a stale base) or when
        the scripts have several heads. Never overwrites: Alembic picks a new revision id.
        """
        cfg = config if config is not None else alembic_config()
        script = load_scripts(cfg)
        heads = script.get_heads()
        if len(heads) > 1:
            raise MultipleHeads(
                f"the scripts have {len(heads)} heads ({', '.join(sorted(heads))}): merge them first with "
                f"'alembic merge -m \"merge heads\" {' '.join(sorted(heads))}'"
            )
        database = self.url.reveal() if isinstance(self.url, SafeURL) else self.url
        state = database_status(database, config=cfg)
        if not state.up_to_date:
            missing = ", ".join(p.revision for p in state.pending) or ", ".join(state.current) or "unknown"
            raise NotUpToDate(
                f"Target database is not up to date (missing: {missing}): run 'alembic upgrade head', then draft again"
            )
        upgrade, downgrade = self.upgrade_ops, self.downgrade_ops

        def use_this_draft(context: Any, revision: Any, directives: list[Any]) -> None:
            directives[0].upgrade_ops = copy.deepcopy(upgrade)
            directives[0].downgrade_ops = copy.deepcopy(downgrade)

        def revision(config: Any) -> Any:
            return command.revision(
                config, message=self.message, autogenerate=True, process_revision_directives=use_this_draft
            )

        if isinstance(database, Engine | Connection):
            written = run_alembic(cfg, database.engine.url if isinstance(database, Connection) else database.url,
                                  revision)  # fmt: skip
        else:
            written = run_alembic(cfg, database, revision)  # the app's env.py, on this database and no other
        scripts = written if isinstance(written, list) else [written]
        return Path(scripts[0].path)

    # -- showing -----------------------------------------------------------------------------------------

    def _headline(self) -> str:
        errors = len(self.errors)
        return (
            f"Draft revision {self.message!r} against {self.target} ({self.dialect}): "
            f"{len(self.operations())} operations, {len(self.findings)} lint findings ({errors} errors)"
            + (f"; renames: {', '.join(self.renames)}" if self.renames else "")
        )

    def __str__(self) -> str:
        return (
            f"{self._headline()}\n\ndef upgrade():\n{_indent(self.upgrade_code)}\n\ndef downgrade():\n"
            f"{_indent(self.downgrade_code)}\n\n{findings_text(self.findings)}"
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from .highlight import highlight_python

        return (
            f'<div class="st-caption">{escape(self._headline())}</div>'
            f"<b>upgrade()</b>{highlight_python(self.upgrade_code)}"
            f"<b>downgrade()</b>{highlight_python(self.downgrade_code)}"
            f"<b>lint</b>{findings_html(self.findings)}"
        )

    def sql_html(self, dialect: str | None = None) -> Any:
        """The SQL for a dialect, syntax-highlighted for Jupyter."""
        from .highlight import SQL

        return SQL(self.sql(dialect), dialect or self.dialect)


def _canonical(name: str) -> str:
    return "mysql" if name == "mariadb" else name


def _dialect_name(name: str) -> str:
    name = _canonical(name)
    if name not in DIALECTS:
        raise ConfigurationError(f"unknown dialect {name!r}: use one of {', '.join(DIALECTS)}")
    return name


def _as_written(operation: Any, target: Dialect | None) -> Any:
    """The operation as the revision file runs it, for the SQL Draft.sql renders.

    Autogenerate hands over the model's own columns, whose index=True/unique=True would make add_column
    emit the index or key again next to its own create_index op; the file declares the bare column. With
    `target` (rendering for another backend than the draft's), reflected existing types and defaults are
    made portable, e.g. for MySQL's MODIFY, which repeats them.
    """
    if isinstance(operation, ops.ModifyTableOps):
        return ops.ModifyTableOps(
            operation.table_name, [_as_written(sub, target) for sub in operation.ops], schema=operation.schema
        )
    if isinstance(operation, ops.AddColumnOp):
        written = copy.copy(operation)
        written.column = _column_as_written(operation.column)
        return written
    if isinstance(operation, ops.AlterColumnOp):
        written = copy.copy(operation)
        # The file passes server_default=sa.text(...), not the models' DefaultClause (batch mode would wrap it again).
        written.modify_server_default = _default_argument(operation.modify_server_default)
        written.existing_server_default = _default_argument(operation.existing_server_default)
        if target is not None:
            if operation.existing_type is not None:
                written.existing_type = portable_type(operation.existing_type, target)
            written.existing_server_default = _portable_server_default(
                written.existing_server_default, written.existing_type, target
            )
        return written
    return operation


def _default_argument(default: Any) -> Any:
    return default.arg if isinstance(default, sa.DefaultClause) else default


def _column_as_written(column: sa.Column[Any]) -> sa.Column[Any]:
    """A column as op.add_column declares it in a revision: no index, unique key or foreign key of its own."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    default = column.server_default
    if isinstance(default, sa.Computed | sa.Identity):
        positional.append(default._copy())
    elif isinstance(default, sa.DefaultClause):
        keywords["server_default"] = default.arg
    type_ = column.type.copy() if isinstance(column.type, SchemaType) else column.type
    return sa.Column(
        column.name, type_, *positional, nullable=column.nullable, autoincrement=column.autoincrement,
        comment=column.comment, system=column.system, **keywords, **column.kwargs,
    )  # fmt: skip


def portable_type(type_: Any, target: Dialect) -> TypeEngine[Any]:
    """A reflected type the `target` dialect can render: its generic form (JSONB -> JSON, TINYINT(1) -> Boolean).

    Falls back to the type itself when it compiles there, then to TEXT (what values of a type the target
    lacks, such as INET or ARRAY, are stored as when copied).
    """
    instance = sa.types.to_instance(type_)
    candidates: list[TypeEngine[Any]] = []
    if isinstance(instance, mysql.TINYINT) and instance.display_width == 1:
        candidates.append(sa.Boolean())  # MySQL spells BOOLEAN as TINYINT(1)
    try:
        generic = instance.as_generic()
    except NotImplementedError:
        generic = None
    if isinstance(generic, sa.String):
        generic.collation = None  # collations are named per server (utf8mb4_bin means nothing to SQLite)
        if generic.length is None and not isinstance(generic, sa.Enum):
            generic = sa.Text()  # MySQL's TINYTEXT/MEDIUMTEXT/LONGTEXT, unbounded
    if generic is not None:
        candidates.append(generic)
    candidates.append(instance)
    for candidate in candidates:
        try:
            candidate.compile(dialect=target)
        except sa.exc.CompileError:
            continue
        return candidate
    return sa.Text()


def _portable_server_default(default: Any, type_: Any, target: Dialect) -> Any:
    """A reflected server default (SQL text) respelled for `target`, or None when it has no meaning there.

    Anything else (None, False for "unchanged", a plain string value, an expression) renders on any dialect.
    """
    if not isinstance(default, sa.TextClause):
        return default
    spelled = portable_default(default.text, target.name, boolean=isinstance(sa.types.to_instance(type_), sa.Boolean))
    return None if spelled is None else sa.text(spelled)


def portable_tables(tables: dict[str, sa.Table], source: str, target: Dialect) -> dict[str, sa.Table]:
    """Copies of tables reflected on `source`, with types and server defaults the `target` dialect can render.

    What a SQLite batch rebuild copies from a PostgreSQL or MariaDB database. MySQL's implicit indexes on
    foreign key columns are left out, as Alembic leaves them out of its comparison: the target has none.
    """
    metadata = MetaData()
    copies: dict[str, sa.Table] = {}
    for name, table in tables.items():
        copied = table.to_metadata(metadata)
        for column in copied.columns:
            column.type = portable_type(column.type, target)
            if isinstance(column.server_default, sa.DefaultClause):
                respelled = _portable_server_default(column.server_default.arg, column.type, target)
                column.server_default = None if respelled is None else sa.DefaultClause(respelled)
        if _canonical(source) == "mysql":
            foreign_keys = {fk.name: {c.name for c in fk.columns} for fk in copied.foreign_key_constraints}
            for index in list(copied.indexes):
                columns = {c.name for c in index.columns}
                if not index.unique and (foreign_keys.get(index.name) == columns or {index.name} == columns):
                    copied.indexes.discard(index)
        copies[name] = copied
    return copies


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.splitlines())


def _render(container: Any, dialect: str) -> str:
    code = render_python_code(container, render_as_batch=dialect == "sqlite")
    lines = [line for line in code.splitlines() if "### " not in line]
    text = "\n".join(line[4:] if line.startswith("    ") else line for line in lines).strip()
    return text or "pass"


def _modify_ops(upgrade: ops.UpgradeOps, table: str) -> ops.ModifyTableOps:
    for operation in upgrade.ops:
        if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
            return operation
    raise ConfigurationError(f"the draft does not change table {table!r}")


def _reverse(operation: Any, table: str, old: str, new: str, old_type: Any, old_nullable: Any) -> Any:
    """The reverse of an upgrade op, with the rename reversed by hand (AlterColumnOp.reverse drops it)."""
    if isinstance(operation, ops.ModifyTableOps) and operation.table_name == table:
        reversed_ops = []
        for sub in reversed(operation.ops):
            if isinstance(sub, ops.AlterColumnOp) and sub.modify_name == new:
                reversed_ops.append(
                    ops.AlterColumnOp(
                        table, new, modify_name=old, existing_type=old_type, existing_nullable=old_nullable
                    )
                )
            else:
                reversed_ops.append(sub.reverse())
        return ops.ModifyTableOps(table, reversed_ops, schema=operation.schema)
    return operation.reverse()


def _restore_unique_constraints(tables: dict[str, sa.Table], models: MetaData) -> None:
    """Give back the unique constraints the models declare, which MySQL keeps (and reflects) as unique indexes.

    Both spellings are one thing on MySQL, not on SQLite: a rebuild there copies what the models would create.
    """
    for name, table in tables.items():
        model = models.tables.get(name)
        if model is None:
            continue
        declared = {c.name for c in model.constraints if isinstance(c, sa.UniqueConstraint) and c.name}
        for index in list(table.indexes):
            if index.unique and index.name in declared and len(index.columns) == len(index.expressions):
                table.indexes.discard(index)
                table.append_constraint(sa.UniqueConstraint(*index.columns.keys(), name=index.name))


_MARIADB_JSON_CHECK = re.compile(r"^json_valid\(`(?P<column>(?:[^`]|``)+)`\)$", re.IGNORECASE)


def _restore_mariadb_json(connection: Connection, tables: dict[str, sa.Table]) -> None:
    """Give back JSON to the columns MariaDB declares as LONGTEXT CHECK (json_valid(col)), its spelling of JSON.

    SQLAlchemy reflects them as LONGTEXT; a SQLite rebuild copied from them would turn JSON columns into TEXT.
    """
    if not tables:
        return
    rows = connection.execute(
        sa.text(
            "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE()"
        )
    )
    for table_name, clause in rows:
        match = _MARIADB_JSON_CHECK.match(str(clause).strip())
        table = tables.get(table_name)
        if match is None or table is None:
            continue
        column = table.columns.get(match.group("column").replace("``", "`"))
        if column is not None and isinstance(column.type, sa.Text | sa.String):
            column.type = sa.JSON()


def draft(
    metadata: MetaData | str | None = None,
    url: SchemaSource = None,
    message: str = "draft",
    *,
    big_table_rows: int | None = None,
    config: Any = None,
) -> Draft:
    """What `alembic revision --autogenerate -m message` would write for `metadata` against `url`, read-only.

    Built with produce_migrations and Alembic's renderer with the environment's options; lint rules run
    with live-data preflight counts through the same read-only connection.
    """
    models = load_metadata(metadata, config=config)
    database = resolve_database(url, config)
    with read_only_connection(database) as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(connection, opts={**compare_options(dialect), "target_metadata": models})
        script = produce_migrations(context, models)
        touched = {name for name, _ in flatten_ops(script.upgrade_ops) if name}
        # Reflected on every backend: Draft.sql renders SQLite's batch rebuilds from them, whatever the source.
        tables = dict(reflect(connection, only=touched).tables) if touched else {}
        if dialect == "mysql":
            _restore_unique_constraints(tables, models)
        if getattr(connection.dialect, "is_mariadb", False) and connection.dialect.server_version_info >= (10, 2):
            _restore_mariadb_json(connection, tables)  # JSON and its CHECK_CONSTRAINTS came with MariaDB 10.2
        lint_context = LintContext(dialect, connection, big_table_rows or BIG_TABLE_ROWS)
        findings = lint_ops(script.upgrade_ops, lint_context)
    return Draft(
        message=message,
        dialect=dialect,
        target=describe(database),
        upgrade_ops=script.upgrade_ops,
        downgrade_ops=script.downgrade_ops,
        findings=findings,
        tables=tables,
        url=database if isinstance(database, Engine | Connection) else SafeURL(database),
    )
