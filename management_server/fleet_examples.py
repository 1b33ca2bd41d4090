"""Example fleets for the fleet notebook and bench: copies of this server's schema with drift, and Freqtrade bots."""

from __future__ import annotations

import ast
import atexit
import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from management_server.models import Base

__all__ = ["MODELS", "Drift", "apply_drift", "copy_of_schema", "demo_fleet", "freqtrade_fleet", "random_drift"]

MODELS = "management_server.models:Base.metadata"
ROOT = Path(__file__).resolve().parent.parent
# The Freqtrade bots' trade databases across versions, and 2026.9's models as data (outside this repository);
# $FREQTRADE_DATA points elsewhere (the notebook's test sets a missing folder, as in a fresh clone).
FREQTRADE = Path(os.environ.get("FREQTRADE_DATA") or ROOT.parent / "shared" / "freqtrade")
HERE = __name__

# Columns a copy may lose or change without touching a key or an index, so every backend can alter them.
DROPPABLE = (("users", "last_login"), ("bots", "port"), ("bots", "pid"), ("strategies", "tags"))
RETYPABLE = (("users", "full_name"), ("bots", "stake_currency"), ("freqai_models", "file_path"))


@dataclass(frozen=True)
class Drift:
    """One way a copy differs from the models: "drop column", "add table", "change type", or "behind" (stamped
    one revision before the head)."""

    kind: str
    table: str = ""
    column: str = ""


def random_drift(rng: random.Random) -> tuple[Drift, ...]:
    """Half the copies match; the rest drift in one or two ways, drawn from `rng` (seeded: the same fleet each run)."""
    if rng.random() < 0.5:
        return ()
    drifts = []
    for _ in range(rng.choice((1, 2))):
        kind = rng.choice(("drop column", "add table", "change type", "behind"))
        if kind == "add table":
            drifts.append(Drift(kind, f"extra_{rng.randrange(3)}"))
        elif kind == "behind":
            drifts.append(Drift(kind))
        else:
            table, column = rng.choice(DROPPABLE if kind == "drop column" else RETYPABLE)
            drifts.append(Drift(kind, table, column))
    return tuple(dict.fromkeys(drifts))  # the same drift drawn twice is applied once


@cache
def _revisions() -> tuple[str, str]:
    """The scripts' head and the revision before it."""
    scripts = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    head = scripts.get_revision(scripts.get_current_head() or "")
    assert head is not None and isinstance(head.down_revision, str)
    return head.revision, head.down_revision


def copy_of_schema(url: str, drifts: tuple[Drift, ...] = ()) -> None:
    """The models' tables in the (empty) database at `url`, stamped at the head, then the drifts applied."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        Base.metadata.create_all(engine)
        head, previous = _revisions()
        stamp = previous if Drift("behind") in drifts else head
        version = sa.Table("alembic_version", sa.MetaData(), sa.Column("version_num", sa.String(32), primary_key=True))
        with engine.begin() as connection:
            version.create(connection)
            connection.execute(version.insert().values(version_num=stamp))
        apply_drift(engine, drifts)
    finally:
        engine.dispose()


def apply_drift(engine: sa.Engine, drifts: tuple[Drift, ...]) -> None:
    """The drifts as DDL, through Alembic's operations (batch mode: SQLite rebuilds the table)."""
    with engine.begin() as connection:
        operations = Operations(MigrationContext.configure(connection))
        for drift in drifts:
            if drift.kind == "add table":
                columns = (sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.String(40)))
                operations.create_table(drift.table, *columns)
            elif drift.kind == "drop column":
                with operations.batch_alter_table(drift.table) as batch:
                    batch.drop_column(drift.column)
            elif drift.kind == "change type":
                with operations.batch_alter_table(drift.table) as batch:
                    batch.alter_column(drift.column, type_=sa.Text(), existing_nullable=True)


_FOLDERS: list[str] = []


@atexit.register
def _remove_folders() -> None:
    for folder in _FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)


def _folder() -> Path:
    folder = tempfile.mkdtemp(prefix="schema_tools_fleet_")
    _FOLDERS.append(folder)
    return Path(folder)


DEMO_DRIFT = {
    "bot-01": (),
    "bot-02": (Drift("drop column", "users", "last_login"),),
    "bot-03": (Drift("add table", "scratch_notes"), Drift("change type", "bots", "stake_currency")),
    "bot-04": (Drift("behind"),),
}


def demo_fleet(app_url: str | None = None) -> list[str]:
    """A fleet file's lines: the app's database (when given), four SQLite copies of its schema with fixed drift,
    and a bot whose file is not a database (unreachable). The copies live in a folder removed at exit."""
    folder = _folder()
    lines = [app_url] if app_url else []
    for name, drifts in DEMO_DRIFT.items():
        url = f"sqlite:///{folder / f'{name}.db'}"
        copy_of_schema(url, drifts)
        lines.append(f"{name} = {url}")
    (folder / "bot-05.db").write_bytes(b"a truncated download, not a database\n" * 100)
    return [*lines, f"bot-05 = sqlite:///{folder / 'bot-05.db'}"]


# --- Freqtrade: each bot's trade database against the models of the Freqtrade it runs -------------------------

_TYPES: dict[str, Any] = {name: getattr(sa, name) for name in ("Boolean", "DateTime", "Double", "Enum", "Float")}
_TYPES |= {"Integer": sa.Integer, "String": sa.String, "Text": sa.Text}
FREQTRADE_FILES = {"FREQTRADE_2022": "old_2022_tradesv3.sqlite", "FREQTRADE_2024_10": "old_2024_10_tradesv3.sqlite"}


def _type(spelling: str) -> Any:
    """A type as freqtrade_models.json spells it ("String(length=50)", "Enum('SPOT', ..., name='x')"), no eval."""
    call = ast.parse(spelling, mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), spelling
    arguments = [ast.literal_eval(argument) for argument in call.args]
    keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords if keyword.arg}
    return _TYPES[call.func.id](*arguments, **keywords)


def _freqtrade_models() -> sa.MetaData:
    """Freqtrade 2026.9's models, rebuilt from the data file that describes them."""
    described = json.loads((FREQTRADE / "freqtrade_models.json").read_text())
    metadata = sa.MetaData()
    for name, table in sorted(described["tables"].items()):
        columns = [
            sa.Column(c["name"], _type(c["type"]), primary_key=c["primary_key"], nullable=c["nullable"])
            for c in table["columns"]
        ]
        keys = [
            sa.ForeignKeyConstraint(fk["columns"], [f"{fk['referred_table']}.{c}" for c in fk["referred_columns"]])
            for fk in table["foreign_keys"]
        ]
        uniques = [sa.UniqueConstraint(*u["columns"], name=u["name"]) for u in table["unique_constraints"]]
        created = sa.Table(name, metadata, *columns, *keys, *uniques)
        for index in table["indexes"]:
            sa.Index(index["name"], *(created.c[c] for c in index["columns"]), unique=index["unique"])
    return metadata


def _reflected(file_name: str) -> sa.MetaData:
    """An older Freqtrade's schema, as the file that version created holds it (no models of it are stored)."""
    path = FREQTRADE / "dbs" / file_name
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true", poolclass=NullPool)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    engine.dispose()
    return metadata


@cache
def _freqtrade(name: str) -> sa.MetaData:
    return _freqtrade_models() if name == "FREQTRADE_2026_9" else _reflected(FREQTRADE_FILES[name])


def __getattr__(name: str) -> sa.MetaData:  # "management_server.fleet_examples:FREQTRADE_2022", built when asked
    if name.startswith("FREQTRADE_"):
        return _freqtrade(name)
    raise AttributeError(name)


def freqtrade_fleet() -> list[str] | None:
    """The bots' fleet over copies of ../shared/freqtrade's databases (None when that folder is missing): each
    bot against its own version's models, two upgraded files, and a 2022 file under 2026.9's code."""
    if not (FREQTRADE / "dbs").is_dir():
        return None
    folder = _folder()
    for db in (FREQTRADE / "dbs").glob("*.sqlite"):
        shutil.copy(db, folder / db.name)
        (folder / db.name).chmod(0o644)
    bots = [
        ("bot-2026.9", "current_tradesv3.sqlite", "FREQTRADE_2026_9"),
        ("bot-2022", "old_2022_tradesv3.sqlite", "FREQTRADE_2022"),
        ("bot-2024.10", "old_2024_10_tradesv3.sqlite", "FREQTRADE_2024_10"),
        ("upgraded-2022", "migrated_old_2022_tradesv3.sqlite", "FREQTRADE_2026_9"),
        ("upgraded-2024", "migrated_old_2024_10_tradesv3.sqlite", "FREQTRADE_2026_9"),
        ("stale-2022", "old_2022_tradesv3.sqlite", "FREQTRADE_2026_9"),
    ]
    return [f"{name} = sqlite:///{folder / file} | {HERE}:{models}" for name, file, models in bots]
