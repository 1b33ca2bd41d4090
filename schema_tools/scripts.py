"""Load the revision scripts only after checking them: syntax, ids, parents, duplicates and cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from .config import alembic_config
from .errors import RevisionError


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...


def _assignments(tree: ast.Module) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = _literal(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = _literal(node.value)
    return found


def _parents(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _version_files(script_location: Path, extra: Iterable[str]) -> list[Path]:
    folders = [script_location / "versions", *(Path(p) for p in extra)]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.py") if p.name != "__init__.py")


def _locations(config: Config) -> tuple[Path, list[str]]:
    location = Path(config.get_main_option("script_location") or "alembic")
    try:
        extra = config.get_version_locations_list() or []
    except ValueError as error:  # a bad path_separator value
        raise RevisionError(f"version_locations cannot be read: {error}") from None
    return location, extra


@dataclass(frozen=True)
class RevisionFile:
    """A revision file as read without importing it: its id, the revisions it builds on, its path."""

    revision: str
    parents: tuple[str, ...]
    path: Path


def read_files(config: Config | None = None) -> dict[str, RevisionFile]:
    """Every readable revision file, tolerant of damage (verify() reports on a history with holes)."""
    cfg = config if config is not None else alembic_config()
    location, extra = _locations(cfg)
    found: dict[str, RevisionFile] = {}
    for path in _version_files(location, extra):
        try:
            values = _assignments(ast.parse(path.read_text(), filename=str(path)))
        except (SyntaxError, OSError, UnicodeDecodeError):
            continue
        revision = values.get("revision")
        if isinstance(revision, str) and revision and revision not in found:
            found[revision] = RevisionFile(revision, _parents(values.get("down_revision")), path)
    return found


def check_scripts(config: Config | None = None) -> dict[str, tuple[str, ...]]:
    """{revision: parents} read statically from every version file; one clear error for each kind of damage."""
    cfg = config if config is not None else alembic_config()
    location, extra = _locations(cfg)
    graph: dict[str, tuple[str, ...]] = {}
    files: dict[str, Path] = {}
    for path in _version_files(location, extra):
        source = path.read_text()
        try:
            tree = ast.parse(source, filename=str(path))
        except SyntaxError as error:
            raise RevisionError(
                f"revision file {path.name} has a syntax error at line {error.lineno}: {error.msg}; fix the file"
            ) from None
        values = _assignments(tree)
        for name in ("revision", "down_revision"):
            if name not in values:
                raise RevisionError(f"revision file {path.name} does not set `{name}`: every revision file must")
        revision = values["revision"]
        if not isinstance(revision, str) or not revision:
            raise RevisionError(f"revision file {path.name}: `revision` must be a literal string id")
        if revision in files:
            raise RevisionError(
                f"duplicate revision id {revision} in {files[revision].name} and {path.name}: give one a new id"
            )
        files[revision] = path
        graph[revision] = _parents(values["down_revision"])
    for revision, parents in graph.items():
        for parent in parents:
            if parent not in graph:
                raise RevisionError(
                    f"revision {revision} ({files[revision].name}) names down_revision {parent}, which no file "
                    "defines: restore that revision's file or fix down_revision"
                )
    cycle = _find_cycle(graph)
    if cycle:
        raise RevisionError(f"Cycle is detected in revisions: {' -> '.join(cycle)}; fix their down_revision")
    return graph


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for parent in graph.get(node, ()):
            if state.get(parent) == 1:
                return [*stack[stack.index(parent) :], parent]
            if parent not in state:
                found = visit(parent)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def load_scripts(config: Config | None = None) -> ScriptDirectory:
    """The ScriptDirectory, after check_scripts(); Alembic's own errors become one-line RevisionErrors."""
    cfg = config if config is not None else alembic_config()
    check_scripts(cfg)
    try:
        script = ScriptDirectory.from_config(cfg)
        script.get_heads()
    except CommandError as error:
        raise RevisionError(f"the revision scripts cannot be loaded: {error}") from None
    return script
