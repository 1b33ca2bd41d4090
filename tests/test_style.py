"""The code stays ruff-clean (check and format), so CI catches what a forgotten `make lint` would not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("arguments", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff_is_clean(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hooks_and_workflow_name_real_commands() -> None:
    import yaml

    from schema_tools.cli import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        program, subcommand = hook["entry"].split()[:2]
        assert program == "schema-tools" and subcommand in commands
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    services = workflow["jobs"]["test"]["services"]
    assert services["postgres"]["image"].startswith("postgres:15") and services["mariadb"]["image"].startswith(
        "mariadb:10.11"
    )
    steps = " ".join(step.get("run", "") for step in workflow["jobs"]["test"]["steps"])
    assert "alembic check" in steps and "make test" in steps
