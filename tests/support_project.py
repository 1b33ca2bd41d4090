"""A throwaway copy of the project (alembic.ini, alembic/, management_server/) for tests that add revisions."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEAD = "dd16cd167d19"
ALL_REVISIONS = ("440fdbe0fe66", "55221d9084c8", "5d6c6191eec0", "2aefc3d92de3", HEAD)


PYPROJECT = """\
[tool.schema-tools]
metadata = "management_server.models:Base.metadata"
alembic-ini = "alembic.ini"
url-env = "DATABASE_URL"
"""


class Project:
    """A copy of alembic.ini, alembic/ and management_server/ with its own scratch database."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in ("alembic.ini", "alembic", "management_server"):
            source = PROJECT_ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, root / name)
        (root / "pyproject.toml").write_text(PYPROJECT)
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env["PYTHONPATH"] = str(root)

    @property
    def versions(self) -> Path:
        return self.root / "alembic" / "versions"

    def run(self, line: str) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(line)
        redirect = None
        if ">" in argv:
            redirect = self.root / argv[argv.index(">") + 1]
            argv = argv[: argv.index(">")]
        executable = Path(sys.executable).parent / argv[0]
        result = subprocess.run(
            [str(executable), *argv[1:]], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=180
        )
        if redirect is not None:
            redirect.write_text(result.stdout)
        return result

    def engine(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.root / 'scratch.db'}")

    def revision(self) -> str | None:
        engine = self.engine()
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            row = connection.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        engine.dispose()
        return row[0] if row else None

    def tables(self) -> set[str]:
        engine = self.engine()
        with engine.connect() as connection:
            names = set(sa.inspect(connection).get_table_names())
        engine.dispose()
        return names

    def columns(self, table: str) -> set[str]:
        engine = self.engine()
        with engine.connect() as connection:
            names = {c["name"] for c in sa.inspect(connection).get_columns(table)}
        engine.dispose()
        return names

    def new_files(self) -> set[Path]:
        return {p for p in self.versions.glob("*.py") if not any(r in p.name for r in ALL_REVISIONS)}

    def add_revision(self, revision: str, down_revision: str, body: str, downgrade: str = "pass") -> Path:
        """Write a revision file whose upgrade() runs `body` (a few lines using op and sa)."""
        path = self.versions / f"2026_11_25_{revision}_test.py"
        path.write_text(
            f'"""test revision {revision}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
            f"revision = {revision!r}\ndown_revision = {down_revision!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade() -> None:\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            f"def downgrade() -> None:\n{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n"
        )
        return path

    def config(self, **attributes: object):
        """An Alembic Config for this copy (the copy's env.py, models and revisions)."""
        from schema_tools.settings import alembic_config

        return alembic_config(self.root / "alembic.ini", **attributes)


def upgrade_database(url: sa.URL | str, revision: str = "head") -> None:
    """Upgrade a scratch database with the repository's own history."""
    from alembic import command

    from schema_tools.settings import alembic_config

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        command.upgrade(alembic_config(connection=engine), revision)
    finally:
        engine.dispose()
