"""A fresh app made the way README's "Use schema-tools in your project" says, outside this repository.

`build_app` runs the real `alembic init` (generic or async template) in a new folder, writes a `shop`
package with its models, edits env.py and alembic.ini the way a user would, writes three revisions with
`alembic revision` (the first by --autogenerate) and names the models in pyproject.toml. `App` runs the
venv's `alembic` and `schema-tools` there as subprocesses, with an environment that holds no
DATABASE_URL, no PYTHONPATH and no SCHEMA_TOOLS_* setting of the caller's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
TEMPLATES = ("generic", "async")
REVISIONS = ("a1", "a2", "a3")
HEAD = REVISIONS[-1]
APP_TABLES = {"customers", "products", "orders"}
PROJECT_TABLE = '[project]\nname = "shop"\nversion = "0.1.0"\n'
PYPROJECT = PROJECT_TABLE + '\n[tool.schema-tools]\nmetadata = "shop.models:Base.metadata"\n'
# Lines the app's own logging (fileConfig in env.py) writes to stderr while env.py runs.
_LOG_LINE = re.compile(r"^(DEBUG|INFO|WARNI|WARNING|ERROR|CRITI|CRITICAL)\s+\[")

_MODELS_HEAD = """\
from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class OrderStatus(enum.Enum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
"""
_MODELS_TAIL = """

class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    status: Mapped[OrderStatus] = mapped_column(Enum(OrderStatus, name="order_status"))
"""
# The models autogenerate sees for the first revision, and the models at the head (a2 and a3 added columns).
MODELS_AT_A1 = _MODELS_HEAD + _MODELS_TAIL
MODELS = (
    _MODELS_HEAD
    + "    display_name: Mapped[str | None] = mapped_column(String(100))\n"
    + _MODELS_TAIL
    + "    note: Mapped[str | None] = mapped_column(String(200))\n"
)

# a2: a column and a data migration through op.execute (judged by its effect, never read).
A2_BODY = '''
def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("customers", sa.Column("display_name", sa.String(length=100), nullable=True))
    op.execute("UPDATE customers SET display_name = name")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("customers", "display_name")
'''
# a3: its operations sit in a helper (upgrade) and a loop (downgrade), so neither can be read statically.
A3_BODY = '''
def _add_note(table: str) -> None:
    op.add_column(table, sa.Column("note", sa.String(length=200), nullable=True))


def upgrade() -> None:
    """Upgrade schema."""
    _add_note("orders")


def downgrade() -> None:
    """Downgrade schema."""
    for column in ("note",):
        op.drop_column("orders", column)
'''


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without anything that names a database, the models or this repository."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "PYTHONPATH", "PYTHONHOME", "SHOP_DB") and not key.startswith("SCHEMA_TOOLS_")
    }
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Result:
    """One finished command."""

    argv: tuple[str, ...]
    rc: int
    out: str
    err: str

    @property
    def messages(self) -> list[str]:
        """stderr without the app's own log lines (env.py's fileConfig logs Alembic's progress there)."""
        return [line for line in self.err.splitlines() if line.strip() and not _LOG_LINE.match(line)]

    @property
    def error(self) -> str:
        """The one `schema-tools: error:` line (asserts there is exactly one, and no traceback)."""
        assert "Traceback" not in self.err, self
        errors = [line for line in self.messages if line.startswith("schema-tools: error:")]
        assert len(errors) == 1, self
        return errors[0]

    def __str__(self) -> str:
        return f"$ {' '.join(self.argv)}\nexit {self.rc}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"

    __repr__ = __str__


@dataclass
class App:
    """A user's app folder, and the venv's commands run inside it."""

    root: Path
    template: str
    env: dict[str, str] = field(default_factory=clean_environment)

    @property
    def ini(self) -> Path:
        return self.root / "alembic.ini"

    @property
    def env_py(self) -> Path:
        return self.root / "migrations" / "env.py"

    @property
    def versions(self) -> Path:
        return self.root / "migrations" / "versions"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    @property
    def models(self) -> Path:
        return self.root / "shop" / "models.py"

    @property
    def db(self) -> Path:
        """The database alembic.ini names."""
        return self.root / "shop.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def run(self, program: str, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        argv = (str(BIN / program), *args)
        environment = dict(self.env)
        environment.update(env or {})
        done = subprocess.run(
            argv, cwd=cwd or self.root, env=environment, capture_output=True, text=True, timeout=300, check=False
        )
        return Result((program, *args), done.returncode, done.stdout, done.stderr)

    def st(self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        """`schema-tools ARGS` inside the app."""
        return self.run("schema-tools", *args, cwd=cwd, env=env)

    def alembic(self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        """`alembic ARGS` inside the app."""
        return self.run("alembic", *args, cwd=cwd, env=env)

    def ok(self, result: Result) -> Result:
        assert result.rc == 0, result
        return result

    def add_revision(self, revision: str, body: str, *, down: str = HEAD, message: str | None = None) -> Path:
        """A hand-written revision file on top of `down`; `body` holds upgrade() and downgrade()."""
        text = (
            f'"""{message or revision}\n\nRevision ID: {revision}\nRevises: {down}\n"""\n\n'
            "from alembic import context, op\nimport sqlalchemy as sa\n\n"
            f'revision = "{revision}"\ndown_revision = "{down}"\nbranch_labels = None\ndepends_on = None\n\n'
            + textwrap.dedent(body).strip()
            + "\n"
        )
        path = self.versions / f"{revision}_{(message or revision).replace(' ', '_')}.py"
        path.write_text(text)
        return path

    def replace_in(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1))


def _rewrite_functions(path: Path, body: str) -> None:
    """Replace the upgrade()/downgrade() stubs `alembic revision` wrote with `body`, keeping its header."""
    text = path.read_text()
    header = text[: text.index("\n\ndef upgrade")]
    path.write_text(header.rstrip() + "\n\n" + body)


def build_app(root: Path, template: str) -> App:
    """A new app, exactly as README's steps make one (see the module docstring)."""
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    app = App(root, template)
    app.models.write_text(MODELS_AT_A1)
    app.pyproject.write_text(PYPROJECT)
    app.ok(app.alembic("init", "-t", template, "migrations"))
    app.replace_in(
        app.env_py, "target_metadata = None", "from shop.models import Base\n\ntarget_metadata = Base.metadata"
    )
    driver = "sqlite+aiosqlite" if template == "async" else "sqlite"
    app.replace_in(
        app.ini,
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        f"sqlalchemy.url = {driver}:///%(here)s/shop.db",
    )
    app.ok(app.alembic("revision", "--autogenerate", "-m", "create tables", "--rev-id", "a1"))
    (first,) = app.versions.glob("a1_*.py")
    generated = first.read_text()
    for expected in ("create_table('customers'", "create_table('orders'", "ForeignKeyConstraint", "create_index"):
        assert expected in generated, generated
    assert "sa.Enum('pending', 'paid', 'shipped', name='order_status')" in generated, generated
    app.ok(app.alembic("revision", "-m", "add display name", "--rev-id", "a2"))
    _rewrite_functions(next(app.versions.glob("a2_*.py")), A2_BODY)
    app.ok(app.alembic("revision", "-m", "add order note", "--rev-id", "a3"))
    _rewrite_functions(next(app.versions.glob("a3_*.py")), A3_BODY)
    app.models.write_text(MODELS)
    app.db.unlink(missing_ok=True)  # autogenerate connected to it; every test starts without a database
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache)
    return app


def copy_app(source: Path, root: Path, template: str) -> App:
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__"))
    return App(root, template)


# -- what a database holds, read directly (never through schema-tools) ----------------------------------------


_SYNC = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg", "mysql+aiomysql": "mysql+pymysql"}
Database = str | URL | Path


def _engine(database: Database) -> sa.Engine | None:
    """A read-only engine for a SQLite file (None when it does not exist), else a sync engine for the URL."""
    if isinstance(database, Path):
        database = URL.create("sqlite", database=str(database))
    parsed = make_url(database) if isinstance(database, str) else database
    parsed = parsed.set(drivername=_SYNC.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            return None
        return sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    return sa.create_engine(parsed, poolclass=NullPool)


def tables(url: Database) -> set[str]:
    """The tables in the database (empty for a SQLite file that does not exist)."""
    engine = _engine(url)
    if engine is None:
        return set()
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def columns(url: Database, table: str) -> set[str]:
    engine = _engine(url)
    assert engine is not None, url
    try:
        with engine.connect() as connection:
            return {column["name"] for column in sa.inspect(connection).get_columns(table)}
    finally:
        engine.dispose()


def version(url: Database) -> tuple[str, ...] | None:
    """The rows of alembic_version, sorted; None when there is no version table (or no file)."""
    engine = _engine(url)
    if engine is None:
        return None
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            return tuple(sorted(rows))
    finally:
        engine.dispose()


def execute(url: str | URL, *statements: str) -> None:
    parsed = make_url(url) if isinstance(url, str) else url
    engine = sa.create_engine(parsed, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
