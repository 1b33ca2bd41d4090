"""The fleet's per-process caches: the scripts and the models loaded once for many databases, never served stale."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from management_server.fleet_examples import Drift, copy_of_schema
from schema_tools import fleet
from schema_tools.fleet_cache import cache_clear, cache_info
from schema_tools.fleet_types import FleetEntry, check_one
from tests.support_project import HEAD, Project

MODELS = "management_server.models:Base.metadata"
NEW = "ffff00000001"  # a revision on top of the history's head


def _age(*paths: Path, seconds: float = 3600) -> None:
    """Set the mtime of `paths` (and every file under a folder) `seconds` into the past: settled files."""
    moment = time.time() - seconds
    for path in paths:
        for each in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.utime(each, (moment, moment))


@pytest.fixture
def app(tmp_path: Path) -> Project:
    """A copy of the project (alembic.ini, alembic/, models) whose files were last changed an hour ago."""
    project = Project(tmp_path / "app")
    _age(project.root / "alembic.ini", project.versions)
    return project


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The script folders Alembic really loads in this process (ScriptDirectory.from_config, counted and run)."""
    cache_clear()
    seen: list[str] = []
    real = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ScriptDirectory], config: Any) -> ScriptDirectory:
        seen.append(str(config.get_main_option("script_location")))
        return real(cls, config)  # type: ignore[no-any-return]

    monkeypatch.setattr(ScriptDirectory, "from_config", classmethod(counted))
    yield seen
    cache_clear()


def _check(app: Project, url: URL) -> FleetEntry:
    return check_one(url.render_as_string(hide_password=False), MODELS, _ini(app))


def _ini(app: Project) -> str:
    return str(app.root / "alembic.ini")


def _databases(make: Callable[[], URL], count: int, drifts: tuple[Drift, ...] = ()) -> list[URL]:
    urls = [make() for _ in range(count)]
    for url in urls:
        copy_of_schema(url.render_as_string(hide_password=False), drifts)
    return urls


def test_one_process_loads_the_scripts_and_the_models_once_for_many_databases(
    app: Project, backend: str, new_database: Callable[[str], URL], loads: list[str]
) -> None:
    make = lambda: new_database(backend)  # noqa: E731
    urls = _databases(make, 3) + _databases(make, 1, (Drift("behind"),))
    loads.clear()  # building the copies read the repository's own scripts
    entries = [_check(app, url) for url in urls * 2]
    assert [(e.head, e.behind) for e in entries] == [(HEAD, False), (HEAD, False), (HEAD, False), (HEAD, True)] * 2
    assert all(e.reachable and e.error is None and e.changes == 0 for e in entries)
    assert loads == [str(app.root / "alembic")]  # one load for eight databases
    assert (cache_info().script_loads, cache_info().script_hits) == (1, 7)
    assert (cache_info().model_loads, cache_info().model_hits) == (1, 7)


def test_a_revision_added_edited_or_removed_between_two_checks_is_seen(
    app: Project, sqlite_url: URL, loads: list[str]
) -> None:
    copy_of_schema(str(sqlite_url))
    loads.clear()
    assert (_check(app, sqlite_url).head, len(loads)) == (HEAD, 1)
    assert (_check(app, sqlite_url).head, len(loads)) == (HEAD, 1)  # reused

    added = app.add_revision(NEW, HEAD, "pass")
    _age(added)  # a settled file: only its name tells the change
    entry = _check(app, sqlite_url)
    assert (entry.head, entry.behind, len(loads)) == (NEW, True, 2)
    assert (_check(app, sqlite_url).head, len(loads)) == (NEW, 2)  # the new head is reused in turn

    added.write_text(added.read_text().replace(NEW, "ffff00000002"))  # the same size: only the mtime tells it
    _age(added, seconds=1800)
    assert (_check(app, sqlite_url).head, len(loads)) == ("ffff00000002", 3)

    # Two edits within one mtime tick leave the same stamp: what was read from a file that recent is not kept.
    tick = time.time_ns()
    for revision in ("ffff00000003", "ffff00000004"):
        added.write_text(re.sub(r"ffff0000000\d", revision, added.read_text()))
        os.utime(added, ns=(tick, tick))
        assert _check(app, sqlite_url).head == revision
    added.unlink()
    entry = _check(app, sqlite_url)
    assert (entry.head, entry.behind, entry.ok) == (HEAD, False, True)


def test_another_project_or_script_location_has_its_own_head(
    app: Project, tmp_path: Path, sqlite_url: URL, loads: list[str]
) -> None:
    copy_of_schema(str(sqlite_url))
    loads.clear()
    other = Project(tmp_path / "other")
    other.add_revision(NEW, HEAD, "pass")
    _age(other.root / "alembic.ini", other.versions)
    assert [_check(project, sqlite_url).head for project in (app, other, app, other)] == [HEAD, NEW, HEAD, NEW]
    assert len(loads) == 2  # one per project

    moved = app.root / "migrations"
    shutil.copytree(other.root / "alembic", moved)
    ini = app.root / "alembic.ini"
    ini.write_text(ini.read_text().replace("%(here)s/alembic\n", "%(here)s/migrations\n"))
    _age(ini, moved)
    assert (_check(app, sqlite_url).head, loads[-1]) == (NEW, str(moved))


def test_the_local_pools_workers_see_a_revision_added_after_the_caller_cached_the_head(
    app: Project, tmp_path: Path, loads: list[str]
) -> None:
    urls = [f"sqlite:///{tmp_path / f'db{n}.db'}" for n in range(4)]
    for url in urls:
        copy_of_schema(url)
    assert {e.head for e in fleet(urls, MODELS, config=_ini(app), workers=1).entries} == {HEAD}
    _age(app.add_revision(NEW, HEAD, "pass"))
    report = fleet(urls, MODELS, config=_ini(app), workers=2)  # forked workers inherit the caller's cache
    assert [(e.head, e.behind) for e in report.entries] == [(NEW, True)] * 4
