"""The package's shape, checked without a database: import graph, dialect knowledge, size, errors, commands, API."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from radon.complexity import cc_visit

import schema_tools
from schema_tools.errors import SchemaToolsError

pytestmark = pytest.mark.unit

PACKAGE = Path(schema_tools.__file__).resolve().parent
ROOT = PACKAGE.parent
DIALECTS = PACKAGE / "dialects"
DIALECT_NAMES = frozenset({"sqlite", "postgresql", "postgres", "mysql", "mariadb"})
MAX_LINES = 300
MAX_COMPLEXITY = 15
SIZE_WAIVER = re.compile(r"^#\s*size:\s*\S")
COMPLEXITY_WAIVER = re.compile(r"#\s*complexity:\s*\S")

# The top-level API: the verbs, their results and the errors. Helpers are imported from their modules.
PUBLIC_API = {
    # verbs
    "backup",
    "branch",
    "diff",
    "downgrade",
    "draft",
    "erd",
    "explore",
    "fast_autogenerate",
    "fleet",
    "heads",
    "history",
    "inventory",
    "lint",
    "merge",
    "orm_diagram",
    "restore",
    "roundtrip",
    "snapshot",
    "status",
    "upgrade",
    "verify",
    # results
    "Backup",
    "Change",
    "DiffRun",
    "DiffSession",
    "Draft",
    "ERDiagram",
    "Finding",
    "FleetReport",
    "History",
    "Inventory",
    "MigrationReport",
    "ORMDiagram",
    "RevisionLint",
    "RoundtripReport",
    "SchemaDiff",
    "Snapshot",
    "Status",
    "VerifyReport",
    # errors
    "BackupError",
    "ConfigurationError",
    "ConnectionFailed",
    "DataLossRefused",
    "DatabaseNotFound",
    "EnvironmentMismatch",
    "GraphvizMissing",
    "LockTimeout",
    "MigrationFailed",
    "MultipleHeads",
    "NotUpToDate",
    "RevisionError",
    "SchemaToolsError",
    "UnknownDriver",
    "UnsupportedBackend",
}


# -- reading the package ----------------------------------------------------------------------------------------------


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__.py)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def tree(name: str) -> ast.Module:
    path = modules()[name]
    return ast.parse(path.read_text(), filename=str(path))


def imported_names(name: str) -> set[str]:
    """What module `name` imports, anywhere in it."""
    return imports_of(tree(name), name, is_package=modules()[name].name == "__init__.py")


def imports_of(module: ast.Module, name: str, *, is_package: bool) -> set[str]:
    """Every import (in functions and TYPE_CHECKING blocks too), relative ones resolved: `from a import b`
    counts as a.b when that is a module of the package, else as a."""
    package = name if is_package else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            for alias in node.names:
                child = f"{prefix}.{alias.name}"
                names.add(child if child in modules() else prefix)
    return names


def internal(imported: str) -> str | None:
    """The package module an imported name lives in (its longest known prefix), or None for other packages."""
    parts = imported.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules():
            return candidate
    return None


def _packages_run_first(target: str, importer: str) -> set[str]:
    """Importing a.b.c runs a.b's __init__ first: a subpackage on the way is imported too (the root package, and
    the importer's own packages, are already being imported)."""
    parts = target.split(".")
    ancestors = {".".join(parts[:end]) for end in range(2, len(parts))}
    return {package for package in ancestors if package in modules() and not importer.startswith(package + ".")}


@cache
def import_graph() -> dict[str, frozenset[str]]:
    graph = {}
    for name in modules():
        targets = {internal(imported) for imported in imported_names(name)}
        targets |= {package for target in set(targets) if target for package in _packages_run_first(target, name)}
        graph[name] = frozenset(target for target in targets if target is not None and target != name)
    return graph


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """One cycle path per strongly connected component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_path(graph, component) for component in components]


def _cycle_path(graph: dict[str, frozenset[str]], component: set[str]) -> list[str]:
    """The shortest way from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for successor in sorted(graph[node] & component):
            if successor == start:
                return [*paths[node], start]
            if successor not in paths:
                paths[successor] = [*paths[node], successor]
                queue.append(successor)
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component always has one


def docstrings(module: ast.Module) -> set[int]:
    """The ids of the docstring nodes of the module, its classes and its functions."""
    found = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def functions(blocks: list) -> Iterator:
    """radon's functions and methods, with their closures."""
    for block in blocks:
        if hasattr(block, "closures"):
            yield block
            yield from functions(block.closures)


def waived(lines: list[str], lineno: int) -> bool:
    """A `# complexity: <reason>` comment on the line before the def (or before its decorators)."""
    above = lineno - 2
    while above >= 0 and lines[above].lstrip().startswith("@"):
        above -= 1
    return above >= 0 and bool(COMPLEXITY_WAIVER.search(lines[above]))


# -- the rules --------------------------------------------------------------------------------------------------------


def test_no_import_cycle_inside_schema_tools() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(path) for path in found)


def test_nothing_imports_the_management_server() -> None:
    offenders = {
        name: sorted(imported for imported in imported_names(name) if imported.split(".")[0] == "management_server")
        for name in modules()
    }
    assert not {name: found for name, found in offenders.items() if found}


def test_dialect_names_only_in_the_dialects_package() -> None:
    offenders = []
    for name, path in modules().items():
        if path.is_relative_to(DIALECTS):
            continue
        module = tree(name)
        skip = docstrings(module)
        for node in ast.walk(module):
            if isinstance(node, ast.Constant) and node.value in DIALECT_NAMES and id(node) not in skip:
                offenders.append((str(path.relative_to(ROOT)), node.lineno, node.value))
    assert not offenders, "dialect names outside schema_tools/dialects/:\n" + "\n".join(
        f"{file}:{line}: {value!r}" for file, line, value in sorted(offenders)
    )


def test_modules_are_small_unless_they_say_why() -> None:
    offenders = []
    for path in modules().values():
        lines = path.read_text().splitlines()
        if len(lines) > MAX_LINES and not any(SIZE_WAIVER.match(line) for line in lines[:5]):
            offenders.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert not offenders, f"modules over {MAX_LINES} lines without a `# size: <reason>` comment:\n" + "\n".join(
        offenders
    )


def test_functions_are_simple_unless_they_say_why() -> None:
    offenders = []
    for path in modules().values():
        source = path.read_text()
        lines = source.splitlines()
        for function in functions(cc_visit(source)):
            if function.complexity > MAX_COMPLEXITY and not waived(lines, function.lineno):
                offenders.append(f"{path.relative_to(ROOT)}:{function.lineno}: {function.name} {function.complexity}")
    assert not offenders, (
        f"functions over cyclomatic complexity {MAX_COMPLEXITY} without a `# complexity: <reason>` comment:\n"
        + "\n".join(offenders)
    )


def test_every_exception_is_a_schema_tools_error() -> None:
    """Callers catch SchemaToolsError, and the CLI prints it as one line: no other exception may escape.
    (Warning subclasses would be exempt: they are reported, not raised; there are none yet.)"""
    offenders = []
    for name in modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name):
                continue
            if not issubclass(value, SchemaToolsError | Warning):
                offenders.append(f"{name}.{value.__qualname__}({', '.join(b.__name__ for b in value.__bases__)})")
    assert not offenders, "exceptions that are not SchemaToolsError:\n" + "\n".join(offenders)


def test_every_command_registers_itself_and_stays_out_of_the_cli() -> None:
    from schema_tools.commands import COMMANDS

    for command in COMMANDS:
        assert callable(getattr(command, "register", None)), f"{command.__name__} has no register(subparsers)"
    listed = {command.__name__ for command in COMMANDS}
    graph = import_graph()
    for name in modules():
        if name.startswith("schema_tools.commands."):
            defines_register = any(
                isinstance(node, ast.FunctionDef) and node.name == "register" for node in tree(name).body
            )
            assert not defines_register or name in listed, f"{name} defines register() but COMMANDS lacks it"
            assert "schema_tools.cli" not in graph[name], f"{name} imports schema_tools.cli"


def test_the_cli_imports_its_commands_plainly() -> None:
    """Commands come from schema_tools.commands.COMMANDS, so a typo fails at import, not when the command runs."""
    for node in ast.walk(tree("schema_tools.cli")):
        if isinstance(node, ast.Import):
            assert all(alias.name != "importlib" for alias in node.names), "cli imports importlib"
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
            pytest.fail("cli imports from importlib")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            assert called not in {"import_module", "__import__"}, "cli imports a module by name"
    assert "schema_tools.commands" in import_graph()["schema_tools.cli"]


def test_the_top_level_api_is_the_verbs_their_results_and_the_errors() -> None:
    assert set(schema_tools.__all__) == PUBLIC_API
    assert len(schema_tools.__all__) == len(PUBLIC_API), "a name is listed twice in __all__"
    namespace: dict[str, object] = {}
    exec("from schema_tools import *", namespace)  # every listed name must import
    assert PUBLIC_API <= namespace.keys()
    for name in PUBLIC_API:
        value = getattr(schema_tools, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, SchemaToolsError), name


def test_the_graph_sees_relative_and_function_level_imports() -> None:
    """The checks above are only as good as the graph: it must see `from . import x`, `from .. import y` and
    imports inside functions, and name a cycle's path."""
    source = """
import os
from . import errors
from .errors import SchemaToolsError


def later():
    from ..cli import main
    import schema_tools.dialects.base
"""
    found = imports_of(ast.parse(source), "schema_tools.commands.diff", is_package=False)
    assert {"schema_tools.commands.errors", "schema_tools.cli", "schema_tools.dialects.base", "os"} <= found
    assert {internal(name) for name in imports_of(ast.parse(source), "schema_tools.diff", is_package=False)} >= {
        "schema_tools.errors",
        "schema_tools.dialects.base",
    }
    assert "schema_tools.commands.diff" in import_graph()["schema_tools.commands"]
    sample = cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})})
    assert sample == [["a", "b", "c", "a"]]
